/**
 * The warm pool (engine/server/vm-provider.ts) with labs that are local bash "hosts" (local-lab.ts)
 * and a machine of a given number of VM places: refilling, giving way to learners, failures.
 */
import { describe, expect, it } from 'vitest';
import type { Lab, LabFailure } from '../../../engine/sandbox/api.ts';
import { localLab } from '../../../engine/server/local-lab.ts';
import { WarmPool, withWarmPool } from '../../../engine/server/vm-provider.ts';
import type { LabProvider } from '../../../engine/server/workspace.ts';

class CapacityError extends Error {}

/** A machine with `places` VMs: labs started through it hold a place until `down`. */
function machine(places: number) {
  const running = new Set<Lab>();
  const fail = new Map<Lab, (f: LabFailure) => void>();
  let release: (() => void) | null = null;
  let gate: Promise<void> | null = null;
  const m = {
    running,
    started: 0,
    /** While held, starts wait (a lab "booting"). */
    hold() {
      gate = new Promise((r) => (release = r));
    },
    letGo() {
      release?.();
      gate = null;
    },
    room: () => running.size < places,
    async start(hosts = 1): Promise<Lab> {
      if (running.size + 1 > places) throw new CapacityError('all machines are in use');
      m.started++;
      const base = localLab({ hosts });
      const lab: Lab = {
        ...base,
        host: (n) => base.host(n),
        down: async () => void running.delete(lab),
        onFailure: (l) => (fail.set(lab, l), () => fail.delete(lab)),
      };
      running.add(lab);
      if (gate) await gate;
      return lab;
    },
    failLab(lab: Lab) {
      fail.get(lab)?.({ host: 'host1', cause: 'crash', detail: 'test' });
    },
  };
  return m;
}

const tick = () => new Promise((r) => setTimeout(r, 0));

function providerOf(m: ReturnType<typeof machine>, size: number) {
  const pool = new WarmPool({ size, start: () => m.start(), room: m.room, retryMs: 5 });
  const base: LabProvider = { start: (o) => m.start(o.hosts) };
  return withWarmPool(base, pool, (e) => e instanceof CapacityError);
}

describe('warm pool', () => {
  it('keeps `size` labs ready, hands one over at once and starts the next', async () => {
    const m = machine(4);
    const p = providerOf(m, 1);
    p.pool.fill();
    await tick();
    expect(p.pool.size).toBe(1);
    const warm = [...m.running][0];
    const lab = await p.start({ hosts: 1 });
    expect(lab).toBe(warm); // the one that was waiting, not a new start
    await tick();
    expect(p.pool.size).toBe(1); // refilled
    expect(m.started).toBe(2);
    expect(m.running.size).toBe(2);
  });

  it("waits refillDelayMs after a hand-over before starting the next (the CPU is the learner's)", async () => {
    const m = machine(4);
    const pool = new WarmPool({ size: 1, start: () => m.start(), room: m.room, refillDelayMs: 50 });
    pool.fill();
    await tick();
    expect(pool.take()).not.toBeNull();
    pool.fill(); // the server's periodic look does not start one either
    await tick();
    expect(m.started).toBe(1);
    expect(pool.size + pool.pending).toBe(0);
    await new Promise((r) => setTimeout(r, 80));
    await tick();
    expect(m.started).toBe(2);
    expect(pool.size).toBe(1);
    await pool.close();
  });

  it('does not use the pool for labs of two hosts or other sizes', async () => {
    const m = machine(4);
    const p = providerOf(m, 1);
    p.pool.fill();
    await tick();
    const two = await p.start({ hosts: 2 });
    expect(two.hosts).toHaveLength(2);
    const big = await p.start({ hosts: 1, memoryMb: 2048 });
    expect(p.pool.size).toBe(1);
    expect(big).not.toBe(two);
  });

  it('stays within the machine: fills only while there is room, and gives way to a learner', async () => {
    const m = machine(2);
    const p = providerOf(m, 2);
    p.pool.fill();
    await tick();
    expect(m.running.size).toBe(2); // both places warm
    // Two learners, each taking a warm lab: the pool cannot refill (no room).
    await p.start({ hosts: 1 });
    await p.start({ hosts: 1 });
    await tick();
    expect(p.pool.size).toBe(0);
    expect(m.running.size).toBe(2);
    // A third learner finds no room and no warm lab: the sandbox's refusal reaches the workspace.
    await expect(p.start({ hosts: 2 })).rejects.toThrow(CapacityError);
  });

  it("stops a warm lab when a learner's own lab (a resume, a two-host lab) needs its place", async () => {
    const m = machine(2);
    const pool = new WarmPool({ size: 2, start: () => m.start(), room: m.room, retryMs: 5 });
    const base: LabProvider = {
      start: (o) => m.start(o.hosts),
      resume: async () => ({ lab: await m.start(), note: 'saved' }),
    };
    const p = withWarmPool(base, pool, (e) => e instanceof CapacityError);
    pool.fill();
    await tick();
    expect(pool.size).toBe(2);
    const resumed = await p.resume!('key', { hosts: 1 });
    expect(resumed?.note).toBe('saved');
    expect(pool.size).toBe(1); // one warm lab gave way
    expect(m.running.size).toBe(2);
  });

  it('hands over a warm lab that is still starting when the machine is full', async () => {
    const m = machine(1);
    const p = providerOf(m, 1);
    m.hold();
    p.pool.fill();
    await tick();
    expect(p.pool.pending).toBe(1);
    const asked = p.start({ hosts: 1 });
    await tick();
    m.letGo();
    const lab = await asked;
    expect(m.running.has(lab)).toBe(true);
    expect(m.running.size).toBe(1);
  });

  it('replaces a warm lab that fails while waiting, and retries a start that failed', async () => {
    const m = machine(3);
    const p = providerOf(m, 1);
    p.pool.fill();
    await tick();
    const first = [...m.running][0]!;
    m.failLab(first);
    await tick();
    expect(m.running.has(first)).toBe(false);
    expect(p.pool.size).toBe(1);
    expect(m.started).toBe(2);
    // A start that throws: nothing ready, and a new try after retryMs.
    const flaky = new WarmPool({
      size: 1,
      start: async () => {
        if (m.started++ < 3) throw new Error('boot failed');
        return m.start();
      },
      room: m.room,
      retryMs: 5,
    });
    flaky.fill();
    await new Promise((r) => setTimeout(r, 30));
    expect(flaky.size).toBe(1);
    await flaky.close();
  });

  it('stops its labs on close and starts none after', async () => {
    const m = machine(4);
    const p = providerOf(m, 2);
    p.pool.fill();
    await tick();
    expect(m.running.size).toBe(2);
    await p.pool.close();
    expect(m.running.size).toBe(0);
    p.pool.fill();
    await tick();
    expect(m.running.size).toBe(0);
  });
});
