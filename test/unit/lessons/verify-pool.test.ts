// The labs one `verify --jobs` worker keeps between lessons: checkpointed when new, restored to that
// checkpoint for the next lesson with as many hosts, replaced when they failed or cannot be restored.
import { describe, expect, it } from 'vitest';
import type { Lab, LabFailure, SandboxHost } from '../../../engine/sandbox/api.ts';
import type { VerifyDeps } from '../../../engine/verify/verify.ts';
import { labPool } from '../../../engine/verify/pool.ts';

function world() {
  const log: string[] = [];
  let n = 0;
  const fail: Record<string, (f: LabFailure) => void> = {};
  const broken = new Set<string>();
  const deps: VerifyDeps = {
    evaluate: async () => ({ ok: true, conditions: [], elapsedMs: 0 }),
    startLab: async (o) => {
      const id = `lab${++n}`;
      log.push(`start ${id} hosts=${o.hosts ?? 1}${o.resume ? ` resume=${o.resume}` : ''}`);
      const host = { name: 'host1' } as SandboxHost;
      const lab: Lab = {
        id,
        hosts: Array.from({ length: o.hosts ?? 1 }, () => host),
        host: () => host,
        down: async () => void log.push(`down ${id}`),
        onFailure: (l) => ((fail[id] = l), () => delete fail[id]),
        checkpoint: async (name) => void log.push(`checkpoint ${id} ${name}`),
        restore: async (name) => {
          if (broken.has(id)) throw new Error('loadvm failed');
          log.push(`restore ${id} ${name}`);
        },
      };
      return lab;
    },
  };
  return { log, deps, fail, broken };
}

describe('labPool', () => {
  it('gives the next lesson with as many hosts the kept lab, restored to its fresh checkpoint', async () => {
    const w = world();
    const pool = labPool(w.deps);
    const a = await pool.deps.startLab({ hosts: 1 });
    await a.down();
    const b = await pool.deps.startLab({ hosts: 1 });
    expect(b.id).toBe(a.id);
    await b.down();
    await pool.close();
    expect(w.log).toEqual([
      'start lab1 hosts=1',
      'checkpoint lab1 verify-fresh',
      'restore lab1 verify-fresh',
      'down lab1', // once, at close: never while in use
    ]);
    expect(pool.reused()).toBe(1);
  });

  it('ends a lab that failed instead of keeping it, and replaces one that cannot be restored', async () => {
    const w = world();
    const pool = labPool(w.deps);
    const a = await pool.deps.startLab({});
    w.fail[a.id]!({ host: 'host1', cause: 'crash', detail: 'test' });
    await a.down();
    expect(w.log).toContain('down lab1');
    const b = await pool.deps.startLab({});
    expect(b.id).toBe('lab2');
    await b.down();
    w.broken.add('lab2');
    const c = await pool.deps.startLab({});
    expect(c.id).toBe('lab3');
    expect(w.log).toContain('down lab2');
    expect(pool.reused()).toBe(0);
  });

  it('ends kept labs of another size before starting a new one (they would hold its VMs)', async () => {
    const w = world();
    const pool = labPool(w.deps);
    const a = await pool.deps.startLab({ hosts: 2 });
    await a.down();
    const b = await pool.deps.startLab({ hosts: 1 });
    expect(w.log.slice(2)).toEqual(['down lab1', 'start lab2 hosts=1', 'checkpoint lab2 verify-fresh']);
    await b.down();
    await pool.close();
  });

  it('leaves resumed labs alone', async () => {
    const w = world();
    const pool = labPool(w.deps);
    const a = await pool.deps.startLab({ resume: 'verify-15' });
    await a.down();
    await pool.close();
    expect(w.log).toEqual(['start lab1 hosts=1 resume=verify-15', 'down lab1']);
  });
});
