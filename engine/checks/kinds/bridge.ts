import { z } from 'zod';
import type { HostState, Link } from '../../inspect/types.ts';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { pickContainer, hostNs, nsById, placeMessages } from '../place.ts';
import { list, t } from '../render.ts';
import type { Report } from '../types.ts';

/** A port: a link name, or "the port whose veth leads into this container / netns", or an OVS tunnel port. */
const port = z.union([
  z.string().min(1),
  z.strictObject({
    name: z.string().min(1).optional(),
    container: z.string().min(1).optional(),
    netns: z.string().min(1).optional(),
    type: z.string().optional().describe('OVS interface type: `gre`, `vxlan`, `internal`.'),
    options: z
      .record(z.string(), z.string())
      .optional()
      .describe('OVS interface options, e.g. `{ remote_ip: 192.168.56.12 }`.'),
  }),
]);
type Port = z.infer<typeof port>;

const schema = z.strictObject({
  name: z.string().min(1),
  type: z
    .enum(['linux', 'ovs'])
    .optional()
    .describe('`linux` (brctl / ip link) or `ovs` (ovs-vsctl); omit to accept either.'),
  exists: z.boolean().default(true),
  up: z.boolean().optional(),
  ports: z.array(port).optional(),
});

interface View {
  type: 'linux' | 'ovs';
  ports: { name: string; link?: Link | undefined; type?: string; options?: Record<string, string> }[];
}

export default defineKind(
  {
    id: 'bridge',
    description: t(
      '主机上有一个 Linux 网桥或 OVS 网桥，并且接着指定的端口',
      'the host has a Linux or OVS bridge with the given ports',
    ),
    schema,
    messages: {
      ...placeMessages,
      ok: t(
        '网桥 {name}（{type}）符合要求，端口：{ports}',
        'bridge {name} ({type}) is as expected; ports: {ports}',
      ),
      gone: t('网桥 {name} 已经删除了', 'bridge {name} is gone'),
      present: t(
        '网桥 {name} 还在，应该已经删掉了',
        'bridge {name} is still there; it should have been deleted',
      ),
      missing: t(
        '没有网桥 {name}：`ip link` 和 `ovs-vsctl show` 里都找不到它',
        'there is no bridge {name}: neither `ip link` nor `ovs-vsctl show` has it',
      ),
      notBridge: t('{name} 是一块 {kind} 网卡，不是网桥', '{name} is a {kind} interface, not a bridge'),
      type: t(
        '{name} 是 {found} 网桥，应该是 {want} 网桥',
        '{name} is a {found} bridge, expected a {want} bridge',
      ),
      down: t('网桥 {name} 是 DOWN 的，还没有启用', 'bridge {name} is DOWN; it has not been brought up'),
      noPort: t(
        '网桥 {name} 上没有端口 {port}（现在的端口：{found}）',
        'bridge {name} has no port {port} (ports: {found})',
      ),
      noNsPort: t(
        '{target}没有接到网桥 {name} 上：{name} 的端口里没有一根 veth 通向那里（现在的端口：{found}）',
        '{target} is not attached to bridge {name}: none of its ports is a veth leading there (ports: {found})',
      ),
      portType: t(
        '网桥 {name} 的端口 {port} 类型是 {found}，应该是 {want}',
        'port {port} of bridge {name} is of type {found}, expected {want}',
      ),
      portOption: t(
        '网桥 {name} 的端口 {port} 的 {key} 是 {found}，应该是 {want}',
        'port {port} of bridge {name} has {key}={found}, expected {want}',
      ),
    },
    example: 'bridge: { name: docker0, ports: [{ container: box }] }',
    reads: ['namespaces', 'ovs', 'containers'],
  },
  (p, ctx) => {
    const state = stateOf(ctx);
    const host = hostNs(state);
    const link = host.links.find((l) => l.name === p.name);
    const ovs = state.ovs.bridges.find((b) => b.name === p.name);
    if (!p.exists) return link || ovs ? [fail('present', { name: p.name })] : [ok('gone', { name: p.name })];
    if (!link && !ovs) return [fail('missing', { name: p.name })];
    let view: View;
    if (ovs) {
      view = {
        type: 'ovs',
        ports: ovs.ports.flatMap((pt) =>
          pt.interfaces.map((i) => ({
            name: pt.name,
            link: host.links.find((l) => l.name === i.name),
            type: i.type,
            options: i.options,
          })),
        ),
      };
    } else {
      if (link!.kind !== 'bridge') return [fail('notBridge', { name: p.name, kind: link!.kind })];
      view = {
        type: 'linux',
        ports: host.links.filter((l) => l.master === p.name).map((l) => ({ name: l.name, link: l })),
      };
    }
    const typeName = view.type === 'ovs' ? 'Open vSwitch' : 'Linux';
    if (p.type && p.type !== view.type)
      return [
        fail('type', { name: p.name, found: typeName, want: p.type === 'ovs' ? 'Open vSwitch' : 'Linux' }),
      ];
    const out: Report[] = [];
    if (p.up === true && link && !link.up) out.push(fail('down', { name: p.name }));
    const names = view.ports.map((x) => x.name);
    for (const want of p.ports ?? []) out.push(...checkPort(state, p.name, view, want, names));
    return out.length ? out : [ok('ok', { name: p.name, type: typeName, ports: list(names) })];
  },
);

function checkPort(state: HostState, bridge: string, view: View, want: Port, names: string[]): Report[] {
  const found = list(names);
  const w = typeof want === 'string' ? { name: want } : want;
  if (w.container || w.netns) {
    let targetNs: number | null | undefined;
    const target = w.container
      ? t(`容器 ${w.container}`, `container ${w.container}`)
      : t(`命名空间 ${w.netns}`, `netns ${w.netns}`);
    if (w.container) {
      const { c, report } = pickContainer(state, w.container, { running: true });
      if (report) return [report];
      targetNs = c.netns;
    } else {
      const ns = state.namespaces.find((n) => n.names.includes(w.netns!));
      if (!ns)
        return [fail('noNetns', { netns: w.netns!, found: list(state.namespaces.flatMap((n) => n.names)) })];
      targetNs = ns.id;
    }
    const there = nsById(state, targetNs);
    // The inspector resolves pairs globally and leaves a pair unresolved when the crossed
    // ifindexes are ambiguous across namespaces; inside the target namespace they are not.
    const hit = view.ports.some(
      (x) =>
        x.link?.kind === 'veth' &&
        !!there &&
        (x.link.peer?.ns === targetNs ||
          there.links.some(
            (l) =>
              l.kind === 'veth' && l.ifindex === x.link!.peer?.ifindex && l.peer?.ifindex === x.link!.ifindex,
          )),
    );
    return hit ? [] : [fail('noNsPort', { name: bridge, target, found })];
  }
  const pt = view.ports.find((x) => x.name === w.name);
  if (!pt) return [fail('noPort', { name: bridge, port: w.name ?? '?', found })];
  const out: Report[] = [];
  if (w.type && pt.type !== w.type)
    out.push(fail('portType', { name: bridge, port: pt.name, found: pt.type ?? 'system', want: w.type }));
  for (const [key, v] of Object.entries(w.options ?? {})) {
    const got = pt.options?.[key];
    if (got !== v)
      out.push(
        fail('portOption', {
          name: bridge,
          port: pt.name,
          key,
          want: v,
          found: got ?? t('（没有设置）', '(unset)'),
        }),
      );
  }
  return out;
}
