import { z } from 'zod';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { nsLabel, placeFields, placeMessages, resolvePlace } from '../place.ts';
import { list, t } from '../render.ts';
import { hasAddr } from './link.ts';

const schema = z.strictObject({
  dev: z
    .string()
    .min(1)
    .optional()
    .describe('The interface; omit to accept the address on any interface of the namespace.'),
  ...placeFields,
  addr: z
    .string()
    .regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'an IP address, optionally with /prefix')
    .describe('`192.168.0.11/24`, or without `/24` to accept any prefix length.'),
  exists: z.boolean().default(true),
});

export default defineKind(
  {
    id: 'addr',
    description: t(
      '某个命名空间里的网卡配置了这个 IP 地址',
      'an interface in a namespace carries this IP address',
    ),
    schema,
    messages: {
      ...placeMessages,
      ok: t('{where}里的 {dev} 有地址 {addr}', '{dev} in {where} has {addr}'),
      gone: t('{where}里已经没有地址 {addr} 了', '{addr} is no longer in {where}'),
      present: t(
        '{where}里的 {dev} 还有地址 {addr}，应该已经删掉了',
        '{dev} in {where} still has {addr}; it should have been removed',
      ),
      noDev: t(
        '{where}里没有网卡 {dev}（那里有：{found}）',
        'there is no {dev} in {where} (it has: {found})',
      ),
      elsewhere: t(
        '{dev} 应该在{where}里，但它在{found}里：先把它移过去，再配地址（移动网卡会清掉地址）',
        '{dev} should be in {where} but is in {found}: move it first, then add the address (moving clears addresses)',
      ),
      prefix: t(
        '{dev} 上有 {ip}，但掩码是 /{found}，应该是 /{want}',
        '{dev} has {ip} but with /{found}, expected /{want}',
      ),
      missing: t(
        '{where}里的 {dev} 没有地址 {addr}（现在有：{found}）',
        '{dev} in {where} lacks {addr} (it has: {found})',
      ),
    },
    example: 'addr: { dev: veth-ns1, netns: ns1, addr: 192.168.0.11/24 }',
    reads: ['namespaces', 'containers'],
  },
  (p, ctx) => {
    const state = stateOf(ctx);
    const place = resolvePlace(state, p);
    if (place.report) return [place.report];
    const where = place.label;
    const links = p.dev ? place.ns.links.filter((l) => l.name === p.dev) : place.ns.links;
    const dev = p.dev ?? t('任何网卡', 'any interface');
    if (p.dev && links.length === 0) {
      const other = state.namespaces.find((n) => n.links.some((l) => l.name === p.dev));
      if (other && p.exists) return [fail('elsewhere', { dev: p.dev, where, found: nsLabel(other) })];
      if (p.exists)
        return [fail('noDev', { dev: p.dev, where, found: list(place.ns.links.map((l) => l.name)) })];
      return [ok('gone', { addr: p.addr, where })];
    }
    const holder = links.find((l) => hasAddr(l.addrs, p.addr));
    if (!p.exists)
      return [
        holder
          ? fail('present', { dev: holder.name, addr: p.addr, where })
          : ok('gone', { addr: p.addr, where }),
      ];
    if (holder) return [ok('ok', { dev: holder.name, addr: p.addr, where })];
    const ip = p.addr.split('/')[0]!;
    const near = links.find((l) => l.addrs.some((a) => a.split('/')[0] === ip));
    if (near) {
      const found = near.addrs.find((a) => a.split('/')[0] === ip)!.split('/')[1]!;
      return [fail('prefix', { dev: near.name, ip, found, want: p.addr.split('/')[1] ?? '' })];
    }
    return [
      fail('missing', {
        dev,
        addr: p.addr,
        where,
        found: list(links.flatMap((l) => l.addrs.map((a) => (p.dev ? a : `${l.name} ${a}`)))),
      }),
    ];
  },
);
