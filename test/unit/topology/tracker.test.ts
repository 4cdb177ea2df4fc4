import { describe, expect, it } from 'vitest';
import { TopologyTracker } from '../../../engine/topology/tracker.ts';
import type { HostState } from '../../../engine/inspect/types.ts';
import type { Lab } from '../../../engine/sandbox/api.ts';
import { recorded } from './states.ts';
import { readFileSync } from 'node:fs';
import type { LessonRecording } from '../../../scripts/record-topology.ts';

/** A lab stand-in: the tracker only reads its id; the snapshots are recorded ones, in order. */
const lab = (id: string) => ({ id }) as unknown as Lab;

function tracker(states: string[]) {
  const queue = states.map((s) => ({ host1: recorded(s) }));
  let taken = 0;
  let clock = 0;
  const t = new TopologyTracker(
    async () => {
      taken++;
      return queue.shift() as Record<string, HostState>;
    },
    () => clock,
  );
  // Each ask comes a second after the last: past the window in which asks share a snapshot.
  return { t, taken: () => taken, later: () => (clock += 1000) };
}

describe('topology tracker', () => {
  it('keeps what each command changed, per step, with the command typed', async () => {
    const { t, later } = tracker(['veth-host', 'veth-half', 'veth-half', 'veth-crossed']);
    const first = await t.view('L', '15-netns-veth', lab('a'), 1);
    expect(first.history).toEqual([]);
    expect(first.graph.nodes.some((n) => n.id === 'host1/ns:host/if:veth-ns1')).toBe(true);
    later();
    const second = await t.view('L', '15-netns-veth', lab('a'), 2);
    expect(second.history).toHaveLength(1);
    expect(second.history[0]).toMatchObject({ seq: 1, step: 2 });
    expect(second.history[0]!.changes.map((c) => c.text.zh)).toEqual(['veth-ns1 移到了命名空间 ns1 里']);
    later();
    // Nothing changed: no entry.
    expect((await t.view('L', '15-netns-veth', lab('a'), 2)).history).toHaveLength(1);
    later();
    const fourth = await t.view('L', '15-netns-veth', lab('a'), 3);
    expect(fourth.history.map((h) => h.seq)).toEqual([1, 2]);
  });

  it('two asks at once share one snapshot', async () => {
    const { t, taken } = tracker(['bare', 'docker']);
    const [a, b] = await Promise.all([t.view('L', 'x', lab('a'), 0), t.view('L', 'x', lab('a'), 0)]);
    expect(a).toBe(b);
    expect(taken()).toBe(1);
  });

  it('an ask while an older snapshot is still being taken gets a newer one, not the older answer', async () => {
    const states = ['veth-host', 'veth-half'].map((n) => ({ host1: recorded(n) }));
    let taken = 0;
    let clock = 0;
    let release: () => void = () => undefined;
    const slow = new Promise<void>((r) => (release = r));
    const t = new TopologyTracker(
      async () => {
        const i = taken++;
        if (i === 0) await slow; // the first one, begun before the command, is slow (a checkpoint)
        return states[i] as Record<string, HostState>;
      },
      () => clock,
    );
    const older = t.view('L', '15-netns-veth', lab('a'), 1);
    clock += 1000; // the command ended, and the panel asks
    const newer = t.view('L', '15-netns-veth', lab('a'), 1);
    const same = t.view('L', '15-netns-veth', lab('a'), 1); // another tab: shares the newer one
    release();
    expect((await older).graph.nodes.some((n) => n.id === 'host1/ns:host/if:veth-ns1')).toBe(true);
    const v = await newer;
    expect(await same).toBe(v);
    expect(taken).toBe(2);
    expect(v.history.at(-1)!.changes.map((c) => c.text.zh)).toEqual(['veth-ns1 移到了命名空间 ns1 里']);
  });

  it('a new lab is not a change the learner made', async () => {
    const { t, later } = tracker(['bare', 'docker']);
    await t.view('L', 'x', lab('a'), 0);
    later();
    expect((await t.view('L', 'x', lab('b'), 0)).history).toEqual([]);
  });

  it('two VMs (lesson 23 step 1, recorded): each command says which VM it was typed on', async () => {
    const rec = JSON.parse(
      readFileSync(new URL('../../fixtures/topology/23-cross-host-bridge.json', import.meta.url), 'utf8'),
    ) as LessonRecording;
    const queue = [rec.moments[0]!.states, rec.moments[1]!.states];
    let clock = 0;
    const t = new TopologyTracker(
      async () => queue.shift()!,
      () => clock,
    );
    await t.view('L', '23-cross-host-bridge', lab('a'), 0);
    clock += 1000;
    const [entry] = (await t.view('L', '23-cross-host-bridge', lab('a'), 0)).history;
    expect(entry!.commands).toContain('host1$ ip link set eth0 master br0');
    expect(entry!.commands).toContain('host2$ ip addr add 192.168.56.12/24 dev br0');
    expect(entry!.commands.every((c) => /^host[12]\$ /.test(c))).toBe(true);
    expect(new Set(entry!.changes.map((c) => c.host))).toEqual(new Set(['host1', 'host2']));
  });
});
