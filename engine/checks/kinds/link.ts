import { z } from 'zod';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { nsLabel, placeFields, placeMessages, resolvePlace } from '../place.ts';
import { list, t } from '../render.ts';
import type { Report } from '../types.ts';

const schema = z.strictObject({
  name: z.string().min(1),
  ...placeFields,
  exists: z.boolean().default(true),
  up: z.boolean().optional().describe('Administratively up (`ip link set X up`).'),
  type: z.string().optional().describe('`veth`, `bridge`, `vxlan`, `gre`, `openvswitch`, ...'),
  mtu: z.number().int().positive().optional(),
  master: z.string().optional().describe('The bridge it is a port of.'),
  addr: z
    .string()
    .optional()
    .describe('An address it must carry, `192.168.0.11/24` or without the prefix length.'),
});

export default defineKind(
  {
    id: 'link',
    description: t(
      '网卡存在于某个命名空间，并且状态、类型、MTU、所属网桥、地址符合要求',
      'a network interface exists in a namespace with the given state, type, MTU, master and address',
    ),
    schema,
    messages: {
      ...placeMessages,
      ok: t('{where}里的网卡 {name} 符合要求', '{name} in {where} is as expected'),
      gone: t('{where}里已经没有网卡 {name} 了', '{name} is gone from {where}'),
      missing: t(
        '{where}里没有网卡 {name}（那里有：{found}）',
        'there is no interface {name} in {where} (it has: {found})',
      ),
      elsewhere: t(
        '网卡 {name} 应该在{where}里，但它在{found}里',
        '{name} should be in {where}, but it is in {found}',
      ),
      present: t(
        '{where}里还有网卡 {name}，它应该已经删掉或移走了',
        '{name} is still in {where}; it should have been deleted or moved',
      ),
      down: t(
        '{where}里的 {name} 是 DOWN 的，还没有用 `ip link set {name} up` 启用',
        '{name} in {where} is DOWN; it has not been brought up (`ip link set {name} up`)',
      ),
      notDown: t('{where}里的 {name} 是 UP 的，应该是 DOWN', '{name} in {where} is UP; it should be DOWN'),
      type: t('{name} 的类型是 {found}，应该是 {want}', '{name} is of type {found}, expected {want}'),
      mtu: t('{name} 的 MTU 是 {found}，应该是 {want}', '{name} has MTU {found}, expected {want}'),
      master: t(
        '{name} 应该接在网桥 {want} 上，现在{found}',
        '{name} should be a port of bridge {want}; now it is {found}',
      ),
      addr: t('{name} 上没有地址 {want}（现在有：{found}）', '{name} lacks address {want} (it has: {found})'),
    },
    example: 'link: { name: veth-ns1, netns: ns1, up: true }',
    reads: ['namespaces', 'containers'],
  },
  (p, ctx) => {
    const state = stateOf(ctx);
    const place = resolvePlace(state, p);
    if (place.report) return [place.report];
    const where = place.label;
    const link = place.ns.links.find((l) => l.name === p.name);
    if (!p.exists)
      return [link ? fail('present', { name: p.name, where }) : ok('gone', { name: p.name, where })];
    if (!link) {
      const other = state.namespaces.find((n) => n.links.some((l) => l.name === p.name));
      if (other) return [fail('elsewhere', { name: p.name, where, found: nsLabel(other) })];
      return [fail('missing', { name: p.name, where, found: list(place.ns.links.map((l) => l.name)) })];
    }
    const out: Report[] = [];
    if (p.up === true && !link.up) out.push(fail('down', { name: p.name, where }));
    if (p.up === false && link.up) out.push(fail('notDown', { name: p.name, where }));
    if (p.type && link.kind !== p.type)
      out.push(fail('type', { name: p.name, want: p.type, found: link.kind }));
    if (p.mtu && link.mtu !== p.mtu) out.push(fail('mtu', { name: p.name, want: p.mtu, found: link.mtu }));
    if (p.master && link.master !== p.master) {
      const found = link.master
        ? t(`接在 ${link.master} 上`, `on ${link.master}`)
        : t('没有接在任何网桥上', 'on no bridge');
      out.push(fail('master', { name: p.name, want: p.master, found }));
    }
    if (p.addr && !hasAddr(link.addrs, p.addr))
      out.push(fail('addr', { name: p.name, want: p.addr, found: list(link.addrs) }));
    return out.length ? out : [ok('ok', { name: p.name, where })];
  },
);

/** `192.168.0.11` matches any prefix length; `192.168.0.11/24` only that one. */
export function hasAddr(addrs: string[], want: string): boolean {
  return addrs.some((a) => (want.includes('/') ? a === want : a.split('/')[0] === want));
}
