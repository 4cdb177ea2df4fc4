import { z } from 'zod';
import type { HostState, Link, NetNamespace } from '../../inspect/types.ts';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { nsById, nsLabel, placeFields, placeLabel, placeMessages, resolvePlace } from '../place.ts';
import { t } from '../render.ts';
import type { Report } from '../types.ts';

/** One end: its name and, optionally, where it must be (no place: anywhere). */
const end = z.strictObject({ name: z.string().min(1), ...placeFields });
type End = z.infer<typeof end>;

const schema = z.strictObject({
  ends: z.tuple([end, end]),
  up: z.boolean().optional().describe('Both ends administratively up.'),
});

interface Found {
  ns: NetNamespace;
  link: Link;
}

export default defineKind(
  {
    id: 'veth',
    description: t(
      '两块网卡是同一对 veth 的两端，并且各自在指定的命名空间（命名空间、容器或主机）里',
      'two interfaces are the two ends of one veth pair, each in the given namespace (named netns, container or host)',
    ),
    schema,
    messages: {
      ...placeMessages,
      ok: t(
        'veth pair 连好了：{a}（在{whereA}）↔ {b}（在{whereB}）',
        'the veth pair is in place: {a} ({whereA}) ↔ {b} ({whereB})',
      ),
      missing: t(
        '没有找到网卡 {name}（它应该在{want}里）',
        'there is no interface {name} (it should be in {want})',
      ),
      elsewhere: t(
        '{name} 应该在{want}里，但它在{found}里',
        '{name} should be in {want}, but it is in {found}',
      ),
      peerNotMoved: t(
        '{other} 在{otherWhere}里，但它的另一端 {name} 还在{found}里，没有移到{want}',
        '{other} is in {otherWhere}, but its other end {name} is still in {found}, not moved to {want}',
      ),
      notVeth: t('{name} 是一块 {kind} 网卡，不是 veth', '{name} is a {kind} interface, not a veth'),
      notPaired: t(
        '{a} 和 {b} 不是一对 veth：{a} 的另一端是 {peer}（在{peerWhere}里）',
        '{a} and {b} are not one veth pair: the other end of {a} is {peer} (in {peerWhere})',
      ),
      peerUnknown: t(
        '{a} 和 {b} 不是一对 veth：找不到 {a} 的另一端',
        '{a} and {b} are not one veth pair: the other end of {a} cannot be found',
      ),
      down: t(
        '{name}（在{where}里）是 DOWN 的，还没有启用',
        '{name} (in {where}) is DOWN; it has not been brought up',
      ),
    },
    example: 'veth:\n  ends:\n    - { name: veth-ns1, netns: ns1 }\n    - { name: veth-ns2, netns: ns2 }',
    reads: ['namespaces', 'containers'],
  },
  (p, ctx) => {
    const state = stateOf(ctx);
    const out: Report[] = [];
    const found: (Found | undefined)[] = [];
    for (const e of p.ends) {
      const r = locate(state, e);
      if ('report' in r) out.push(r.report);
      found.push('report' in r ? undefined : r);
    }
    // Say "one end moved, the other not" when that is what happened: it is the usual slip.
    for (const [i, e] of p.ends.entries()) {
      if (found[i] || !(e.netns || e.container)) continue;
      const misplaced = anywhere(state, e.name)[0];
      const other = found[1 - i];
      const at = out.findIndex((r) => r.data?.name === e.name);
      if (misplaced && other && at >= 0) {
        out[at] = fail('peerNotMoved', {
          other: other.link.name,
          otherWhere: nsLabel(other.ns),
          name: e.name,
          found: nsLabel(misplaced.ns),
          want: placeLabel(e),
        });
      }
    }
    const [a, b] = found;
    if (!a || !b) return out;
    for (const f of [a, b])
      if (f.link.kind !== 'veth') out.push(fail('notVeth', { name: f.link.name, kind: f.link.kind }));
    if (out.length) return out;
    const peer = a.link.peer;
    if (!peer?.name) return [fail('peerUnknown', { a: a.link.name, b: b.link.name })];
    if (peer.name !== b.link.name || peer.ns !== b.ns.id) {
      return [
        fail('notPaired', {
          a: a.link.name,
          b: b.link.name,
          peer: peer.name,
          peerWhere: nsLabel(nsById(state, peer.ns)),
        }),
      ];
    }
    if (p.up)
      for (const f of [a, b])
        if (!f.link.up) out.push(fail('down', { name: f.link.name, where: nsLabel(f.ns) }));
    return out.length
      ? out
      : [ok('ok', { a: a.link.name, whereA: nsLabel(a.ns), b: b.link.name, whereB: nsLabel(b.ns) })];
  },
);

function anywhere(state: HostState, name: string): Found[] {
  return state.namespaces.flatMap((ns) =>
    ns.links.filter((l) => l.name === name).map((link) => ({ ns, link })),
  );
}

function locate(state: HostState, e: End): Found | { report: Report } {
  if (!(e.netns || e.container)) {
    const all = anywhere(state, e.name);
    // The same name can exist in several namespaces (every container has an eth0): prefer a veth.
    const f = all.find((x) => x.link.kind === 'veth') ?? all[0];
    return f ?? { report: fail('missing', { name: e.name, want: t('任何命名空间', 'any namespace') }) };
  }
  const place = resolvePlace(state, e);
  if (place.report) return { report: place.report };
  const link = place.ns.links.find((l) => l.name === e.name);
  if (link) return { ns: place.ns, link };
  const other = anywhere(state, e.name)[0];
  if (other)
    return { report: fail('elsewhere', { name: e.name, want: place.label, found: nsLabel(other.ns) }) };
  return { report: fail('missing', { name: e.name, want: place.label }) };
}
