/**
 * State → graph and state → diff on lessons recorded from a real sandbox by their reference
 * solutions (scripts/record-topology.ts: the lab after the setup and after each step), the way a
 * learner's panel sees them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HostState } from '../../../engine/inspect/types.ts';
import { diffStates } from '../../../engine/topology/diff.ts';
import { labGraph, lanId } from '../../../engine/topology/graph.ts';
import type { Graph, TopoEdge } from '../../../engine/topology/types.ts';
import type { LessonRecording } from '../../../scripts/record-topology.ts';

function recording(lessonId: string): LessonRecording {
  const file = new URL(`../../fixtures/topology/${lessonId}.json`, import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')) as LessonRecording;
}
/** The lab after `moment` (0: the setup, i: step i). */
const statesAt = (r: LessonRecording, moment: number): Record<string, HostState> => r.moments[moment]!.states;
const node = (g: Graph, id: string) => g.nodes.find((n) => n.id === id);
const edges = (g: Graph, kind: TopoEdge['kind'], end: string) =>
  g.edges.filter((e) => e.kind === kind && (e.a === end || e.b === end));
const far = (e: TopoEdge, end: string) => (e.a === end ? e.b : e.a);
/** Every sentence a diff says between two moments, zh and en, of every host. */
function said(r: LessonRecording, from: number, to: number): { zh: string[]; en: string[] } {
  const a = statesAt(r, from);
  const b = statesAt(r, to);
  const changes = Object.keys(b).flatMap((h) => (a[h] ? diffStates(h, a[h], b[h]!) : []));
  return { zh: changes.map((c) => c.text.zh), en: changes.map((c) => c.text.en) };
}

describe('lesson 16 (a container on docker0, then a namespace wired to it by hand)', () => {
  const rec = recording('16-container-veth-bridge');

  it('recorded after the setup and each of its 3 steps', () => {
    expect(rec.moments.map((m) => m.after.split(':')[0])).toEqual(['setup', 'step 1', 'step 2', 'step 3']);
  });

  it("step 1: box's eth0 is wired to its veth… port on docker0", () => {
    const g = labGraph(statesAt(rec, 1));
    expect(node(g, 'host1/ctr:box')).toMatchObject({ kind: 'container', state: 'running', image: 'busybox' });
    const [wire, ...more] = edges(g, 'veth', 'host1/ctr:box/if:eth0');
    expect(more).toEqual([]);
    const port = far(wire!, 'host1/ctr:box/if:eth0');
    expect(port).toMatch(/^host1\/ns:host\/if:veth[0-9a-f]{7}$/);
    expect(edges(g, 'bridge-port', port)).toEqual([
      expect.objectContaining({ b: 'host1/ns:host/if:docker0' }),
    ]);
    expect(node(g, 'host1/ctr:box/if:eth0')!.addrs).toEqual([expect.stringMatching(/^172\.17\.0\.\d+\/16$/)]);
  });

  it('step 2: manual wired by veth-m ↔ veth-m-br, veth-m-br a port of docker0 beside box', () => {
    const g = labGraph(statesAt(rec, 2));
    expect(node(g, 'host1/ns:manual')).toMatchObject({ kind: 'netns', flavor: 'named' });
    expect(
      edges(g, 'veth', 'host1/ns:manual/if:veth-m').map((e) => far(e, 'host1/ns:manual/if:veth-m')),
    ).toEqual(['host1/ns:host/if:veth-m-br']);
    expect(node(g, 'host1/ns:host/if:veth-m-br')).toMatchObject({
      state: expect.stringMatching(/UP|NO-CARRIER/),
    });
    const ports = edges(g, 'bridge-port', 'host1/ns:host/if:docker0').map((e) => e.a);
    expect(ports).toContain('host1/ns:host/if:veth-m-br');
    expect(ports.filter((p) => /if:veth[0-9a-f]{7}$/.test(p))).toHaveLength(1); // box's
  });

  it("step 3: manual's end has its address and the default route via docker0's", () => {
    const g = labGraph(statesAt(rec, 3));
    expect(node(g, 'host1/ns:manual/if:veth-m')).toMatchObject({ state: 'UP', addrs: ['172.17.0.200/16'] });
    expect(node(g, 'host1/ns:manual')).toMatchObject({ defaultRoute: 'via 172.17.0.1 dev veth-m' });
  });

  it('what each step changed, in plain words', () => {
    expect(said(rec, 0, 1).zh).toContainEqual(
      expect.stringMatching(
        /^新建了容器 box（镜像 busybox，正在运行），接在网络 bridge（172\.17\.0\.\d+）上$/,
      ),
    );
    const two = said(rec, 1, 2);
    expect(two.zh).toEqual([
      '新建了命名空间 manual',
      '新建了 veth 对 veth-m ↔ veth-m-br（veth-m 在命名空间 manual 里，veth-m-br 在主机的命名空间里）',
      // Made and plugged in in one step: said too, not only for a link that was there before.
      'veth-m-br 接到了网桥 docker0 上',
    ]);
    const three = said(rec, 2, 3);
    expect(three.zh).toContain('veth-m 有了地址 172.17.0.200/16');
    expect(three.en).toContain('veth-m got address 172.17.0.200/16');
    expect(three.zh).toContain('命名空间 manual 里加了路由 default via 172.17.0.1 dev veth-m');
    // Every namespace has a lo: which one is said.
    expect(three.zh).toContain('命名空间 manual 里的 lo 的状态从 DOWN 变成了 UNKNOWN');
    expect(three.en).toContain('lo in namespace manual went from DOWN to UNKNOWN');
  });
});

describe('lesson 23 (two VMs: eth0 into a bridge br0 on each, Docker on br0, containers across)', () => {
  const rec = recording('23-cross-host-bridge');

  it('step 1: on each VM eth0 is a port of br0, the address moved to br0, both NICs still on the LAN', () => {
    const g = labGraph(statesAt(rec, 1));
    for (const [h, ip] of [
      ['host1', '192.168.56.11/24'],
      ['host2', '192.168.56.12/24'],
    ] as const) {
      expect(edges(g, 'bridge-port', `${h}/ns:host/if:eth0`)).toEqual([
        expect.objectContaining({ b: `${h}/ns:host/if:br0` }),
      ]);
      expect(node(g, `${h}/ns:host/if:br0`)).toMatchObject({ kind: 'bridge', addrs: [ip] });
      expect(node(g, `${h}/ns:host/if:eth0`)!.addrs).toBeUndefined();
      expect(edges(g, 'lan', `${h}/ns:host/if:eth0`)).toEqual([expect.objectContaining({ b: lanId })]);
    }
  });

  it('step 3: c1 on host1 and c2 on host2, each wired to a port of its br0, addresses in their own /26', () => {
    const g = labGraph(statesAt(rec, 3));
    for (const [h, c, net] of [
      ['host1', 'c1', /^192\.168\.56\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\/24$/],
      ['host2', 'c2', /^192\.168\.56\.(12[89]|1[3-8]\d|19[01])\/24$/],
    ] as const) {
      const eth0 = `${h}/ctr:${c}/if:eth0`;
      expect(node(g, eth0)!.addrs).toEqual([expect.stringMatching(net)]);
      const port = far(edges(g, 'veth', eth0)[0]!, eth0);
      expect(edges(g, 'bridge-port', port)).toEqual([expect.objectContaining({ b: `${h}/ns:host/if:br0` })]);
    }
  });

  it('what step 1 changed on each VM', () => {
    const { zh } = said(rec, 0, 1);
    expect(zh.filter((s) => s === 'eth0 接到了网桥 br0 上')).toHaveLength(2);
    expect(zh).toContain('br0 有了地址 192.168.56.11/24');
    expect(zh).toContain('br0 有了地址 192.168.56.12/24');
    expect(zh).toContain('eth0 的地址 192.168.56.11/24 没了');
  });

  it('what step 2 changed (dockerd restarted on br0): the network said once, the bridge plumbing grouped', () => {
    const { zh } = said(rec, 1, 2);
    expect(zh).toContain(
      'Docker 网络 bridge 变了：网桥 docker0 → br0，网段 172.17.0.0/16 → 192.168.56.0/24，分配地址的范围 — → 192.168.56.64/26',
    );
    expect(
      zh.filter((s) => /^iptables filter 表加了 6 条规则，都和 br0 有关（-A FORWARD /.test(s)),
    ).toHaveLength(2);
    expect(zh.filter((s) => /^iptables filter 表删了 6 条规则，都和 docker0 有关/.test(s))).toHaveLength(2);
    // The masquerade stays named: the diagram shows it on br0.
    expect(zh).toContain('iptables nat 表加了规则：-A POSTROUTING -s 192.168.56.0/24 ! -o br0 -j MASQUERADE');
    // Short: 7 sentences per VM, not the 17 of one line per rule.
    expect(zh).toHaveLength(14);
  });
});
