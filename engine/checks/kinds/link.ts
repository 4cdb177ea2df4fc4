import { z } from 'zod';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { nsLabel, placeFields, placeMessages, resolvePlace } from '../place.ts';
import { list, t } from '../render.ts';
import type { Report } from '../types.ts';
import type { Link, NetNamespace } from '../../inspect/types.ts';

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
  promisc: z
    .boolean()
    .optional()
    .describe('Promiscuous mode (`ip link set X promisc on`), as the parent of a macvlan network needs.'),
  parent: z
    .string()
    .optional()
    .describe(
      "The device it sits on: a VLAN's or macvlan's lower device (`eth0` for `eth0.10`; the host's `eth0` for a container's macvlan).",
    ),
  vlanId: z.number().int().min(0).max(4095).optional().describe('The 802.1Q id of a `vlan` link.'),
  mode: z
    .enum(['bridge', 'private', 'vepa', 'passthru', 'source'])
    .optional()
    .describe('The mode of a `macvlan` link.'),
});

export default defineKind(
  {
    id: 'link',
    description: t(
      '网卡存在于某个命名空间，并且状态、类型、MTU、所属网桥、地址、混杂模式、下层设备、VLAN id、macvlan 模式符合要求',
      'a network interface exists in a namespace with the given state, type, MTU, master, address, promiscuous mode, lower device, VLAN id and macvlan mode',
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
      promisc: t(
        '{where}里的 {name} 没有开混杂模式：`ip link set {name} promisc on`',
        '{name} in {where} is not in promiscuous mode: `ip link set {name} promisc on`',
      ),
      notPromisc: t(
        '{where}里的 {name} 开着混杂模式，应该关掉',
        '{name} in {where} is promiscuous; it should not be',
      ),
      parent: t(
        '{name} 应该建在 {want} 上，现在它的下层设备是 {found}',
        '{name} should sit on {want}; its lower device is {found}',
      ),
      vlanId: t('{name} 的 VLAN id 是 {found}，应该是 {want}', '{name} has VLAN id {found}, expected {want}'),
      mode: t(
        '{name} 的 macvlan 模式是 {found}，应该是 {want}',
        '{name} is in macvlan mode {found}, expected {want}',
      ),
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
    if (p.promisc === true && !link.promisc) out.push(fail('promisc', { name: p.name, where }));
    if (p.promisc === false && link.promisc) out.push(fail('notPromisc', { name: p.name, where }));
    if (p.parent !== undefined) {
      const found = lowerDevice(link, state.namespaces);
      if (found !== p.parent)
        out.push(fail('parent', { name: p.name, want: p.parent, found: found ?? t('（没有）', '(none)') }));
    }
    if (p.vlanId !== undefined && (link.kind !== 'vlan' || link.data?.id !== p.vlanId))
      out.push(fail('vlanId', { name: p.name, want: p.vlanId, found: String(link.data?.id ?? '—') }));
    if (p.mode && link.data?.mode !== p.mode)
      out.push(fail('mode', { name: p.name, want: p.mode, found: String(link.data?.mode ?? '—') }));
    return out.length ? out : [ok('ok', { name: p.name, where })];
  },
);

/**
 * The name of the device a VLAN or macvlan link sits on: its lower device in the same namespace,
 * or — for a macvlan Docker moved into a container, whose lower device stays in the host — the
 * host's link with that index.
 */
function lowerDevice(link: Link, namespaces: NetNamespace[]): string | undefined {
  const peer = link.peer;
  if (!peer || link.kind === 'veth') return undefined;
  if (peer.name) return peer.name;
  if (peer.netnsid === undefined || peer.ifindex === null) return undefined;
  return namespaces.find((n) => n.host)?.links.find((l) => l.ifindex === peer.ifindex)?.name;
}

/** `192.168.0.11` matches any prefix length; `192.168.0.11/24` only that one. */
export function hasAddr(addrs: string[], want: string): boolean {
  return addrs.some((a) => (want.includes('/') ? a === want : a.split('/')[0] === want));
}
