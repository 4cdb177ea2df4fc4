// verifyLesson's rules (fail before, pass after, lesson bugs, --step/--solution) against a fake lab
// whose "state" is a set of words the solutions add; the real thing runs in test/sandbox/verify.test.ts.
import { describe, expect, it } from 'vitest';
import type { Lab, SandboxHost } from '../../../engine/sandbox/api.ts';
import type { Condition, Lesson, Step } from '../../../engine/lessons/types.ts';
import { verifyLesson, type VerifyDeps } from '../../../engine/verify/verify.ts';
import { formatStep } from '../../../engine/verify/report.ts';
import type { CaseRecord } from '../../../engine/verify/records.ts';

/** Saved labs of the fake world: state, checkpoints and note, by key. */
type Disk = Map<string, { state: Set<string>; saved: Map<string, Set<string>>; note: string }>;

function fakeLab(state: Set<string>, log: string[], saved = new Map<string, Set<string>>(), disk: Disk = new Map()): Lab {
  const host = (name: string): SandboxHost => ({
    name,
    address: '',
    shellCommand: () => ({ file: 'true', args: [] }),
    ask: () => Promise.reject(new Error('the fake lab answers no guest socket')),
    // The runner sends typed blocks on stdin to an interactive bash, and scripts as `bash -c`;
    // either way its first line is its own preamble.
    async exec(command, options = {}) {
      // What a check reads (recordedDeps' evaluate): the state's words, not a command of the lesson.
      if (command === 'cat state') return { stdout: [...state].sort().join(' '), stderr: '', code: 0, timedOut: false };
      if (command === 'cat extra') return { stdout: 'extra', stderr: '', code: 0, timedOut: false };
      const script = (typeof options.stdin === 'string' ? options.stdin : command).split('\n').slice(1).join('\n').trim();
      const strict = command.includes('set -eE') || String(options.stdin ?? '').includes('set -eE');
      log.push(`${name}: ${script}`);
      let code = 0;
      for (const line of script.split('\n')) {
        const m = /^add (\S+)$/.exec(line.trim());
        if (m?.[1]) state.add(m[1]);
        if (line.trim() === 'fail') {
          code = 3;
          if (strict) break;
        }
      }
      return { stdout: '', stderr: code ? 'boom' : '', code, timedOut: false };
    },
  });
  return {
    id: 'lab-fake',
    hosts: [host('host1'), host('host2')],
    host,
    down: async () => void log.push('down'),
    checkpoint: async (n) => void (saved.set(n, new Set(state)), log.push(`checkpoint ${n}`)),
    restore: async (n) => {
      if (!saved.has(n)) throw new Error(`no checkpoint ${n}`);
      state.clear();
      for (const w of saved.get(n) ?? []) state.add(w);
      log.push(`restore ${n}`);
    },
    suspend: async (key, note) => {
      disk.set(key, { state: new Set(state), saved, note });
      log.push(`suspend ${key}`);
    },
  };
}

function deps(state: Set<string>, log: string[], disk: Disk = new Map()): VerifyDeps {
  return {
    startLab: async (o) => {
      const d = o.resume ? disk.get(o.resume) : undefined;
      if (!d) return fakeLab(state, log, new Map(), disk);
      disk.delete(o.resume!);
      state.clear();
      for (const w of d.state) state.add(w);
      log.push(`resume ${o.resume}`);
      return fakeLab(state, log, d.saved, disk);
    },
    saved: (key) => disk.get(key)?.note ?? null,
    // A condition `{ kind: 'has', params: 'x' }` passes when the state holds x.
    evaluate: async (conds: Condition[]) => {
      const conditions = conds.map((c) => ({ kind: c.kind, params: c.params, ok: state.has(String(c.params)), messages: [] }));
      return { ok: conditions.every((c) => c.ok), conditions, elapsedMs: 0 };
    },
  };
}

/**
 * Deps whose check reads the state through the lab (`cat state` on host1, and `cat extra` when a
 * condition is `{ kind: 'extra' }`), so it can be recorded and replayed; cases are kept in `store`.
 */
function recordedDeps(state: Set<string>, log: string[], store: Map<string, CaseRecord>, environment = 'env-1'): VerifyDeps {
  return {
    ...deps(state, log),
    evaluate: async (conds: Condition[], lab) => {
      const words = new Set((await lab.host('host1').exec('cat state')).stdout.split(' '));
      // As evaluateConditions does: an exec that throws makes its condition fail, not the evaluation.
      const extra = () => lab.host('host1').exec('cat extra').then((r) => r.stdout === 'extra', () => false);
      const conditions = await Promise.all(
        conds.map(async (c) => ({
          kind: c.kind,
          params: c.params,
          ok: c.kind === 'extra' ? await extra() : words.has(String(c.params)),
          messages: [],
        })),
      );
      return { ok: conditions.every((c) => c.ok), conditions, elapsedMs: 0 };
    },
    records: { store: { get: (k) => store.get(k) ?? null, put: (k, r) => void store.set(k, r) }, environment },
  };
}

const step = (index: number, needs: string, solution: Record<string, string>): Step => ({
  index, title: `s${index + 1}`, body: '', hints: ['h'], line: 1, solution, cases: [], check: [{ kind: 'has', params: needs, line: 1 }],
});

const wrong = (why: string, scripts: Record<string, string>, line = 40) => ({ role: 'wrong' as const, why, scripts, line, lines: {} });
const ok = (why: string, scripts: Record<string, string>, line = 50) => ({ role: 'ok' as const, why, scripts, line, lines: {} });

const lesson = (steps: Step[], setup: Record<string, string> = {}): Lesson => ({
  id: '99-test', title: 't', chapter: 99, hosts: 2, minutes: 1, prerequisites: [], setup, intro: '', summary: '', file: 'x.md', steps,
});

const fast = { settle: { tries: 2, delayMs: 1 } };

describe('verifyLesson', () => {
  it('proves a lesson whose checks fail before and pass after each solution, hosts in written order', async () => {
    const log: string[] = [];
    const l = lesson([step(0, 'a', { host1: 'add a' }), step(1, 'b', { host2: 'add x', host1: 'add b' })], { host1: 'echo setup' });
    const v = await verifyLesson(l, fast, deps(new Set(), log));
    expect(v.ok).toBe(true);
    expect(v.steps.map((s) => s.ok)).toEqual([true, true]);
    expect(log).toEqual(['host1: echo setup', 'host1: add a', 'host2: add x', 'host1: add b', 'down']);
  });

  it('reports a step whose check passes before its solution as a lesson bug', async () => {
    const v = await verifyLesson(lesson([step(0, 'a', { host1: 'add a' }), step(1, 'a', { host1: 'true' })]), fast, deps(new Set(), []));
    expect(v.ok).toBe(false);
    expect(v.steps[1]?.problem).toBe('passes-before');
  });

  it('reports a solution that exits non-zero, and one that leaves the check failing', async () => {
    const bad = await verifyLesson(lesson([step(0, 'a', { host1: 'fail' })]), fast, deps(new Set(), []));
    expect(bad.steps[0]).toMatchObject({ ok: false, problem: 'solution-failed', solution: { host: 'host1', code: 3, output: 'boom' } });
    const wrong = await verifyLesson(lesson([step(0, 'a', { host1: 'add b' })]), fast, deps(new Set(), []));
    expect(wrong.steps[0]).toMatchObject({ ok: false, problem: 'fails-after' });
  });

  it('with --step and --solution runs earlier solutions, then judges the given script', async () => {
    const log: string[] = [];
    const l = lesson([step(0, 'a', { host1: 'add a' }), step(1, 'b', { host1: 'add b' })]);
    const v = await verifyLesson(l, { ...fast, step: 2, solution: { host2: 'add c' } }, deps(new Set(), log));
    expect(log).toEqual(['host1: add a', 'host2: add c', 'down']);
    expect(v.steps).toHaveLength(1);
    expect(v.steps[0]).toMatchObject({ number: 2, ok: false, problem: 'fails-after' });
  });

  it('stops with an error when setup fails', async () => {
    const v = await verifyLesson(lesson([step(0, 'a', { host1: 'add a' })], { host1: 'fail' }), fast, deps(new Set(), []));
    expect(v.ok).toBe(false);
    expect(v.error).toMatch(/^setup on host1 exited 3/);
  });

  it('runs each near-miss case from the step start, restoring the checkpoint before each case and the solution', async () => {
    const log: string[] = [];
    const s1 = { ...step(0, 'a', { host1: 'add a' }), cases: [wrong('a fails first', { host1: 'fail\nadd x' }), wrong('only host2', { host1: 'add y', host2: 'add z' }), ok('another way', { host1: 'add a' })] };
    const v = await verifyLesson(lesson([s1]), fast, deps(new Set(), log));
    expect(v.ok).toBe(true);
    expect(v.steps[0]!.cases.map((c) => [c.role, c.ok, c.problem])).toEqual([
      ['wrong', true, undefined],
      ['wrong', true, undefined],
      ['ok', true, undefined],
    ]);
    expect(log).toEqual([
      'checkpoint verify-step',
      'host1: fail\nadd x', // lenient: the failing command does not stop the block
      'restore verify-step',
      'host1: add y',
      'host2: add z',
      'restore verify-step',
      'host1: add a',
      'restore verify-step',
      'host1: add a',
      'down',
    ]);
  });

  it('fails a step whose wrong case passes the check or whose ok case is refused or breaks, naming each', async () => {
    const s1 = {
      ...step(0, 'a', { host1: 'add a' }),
      cases: [wrong('looks right', { host1: 'add a' }, 41), ok('refused', { host1: 'add b' }, 45), ok('broken', { host1: 'fail\nadd a' }, 49)],
    };
    const v = await verifyLesson(lesson([s1, step(1, 'b', { host1: 'add b' })]), fast, deps(new Set(), []));
    expect(v.ok).toBe(false);
    expect(v.steps[0]).toMatchObject({ ok: false, problem: 'near-miss' });
    expect(v.steps[0]!.cases.map((c) => [c.line, c.ok, c.problem])).toEqual([
      [41, false, 'wrong-passes'],
      [45, false, 'ok-fails'],
      [49, false, 'ok-failed'],
    ]);
    expect(v.steps[0]!.cases[2]!.run).toMatchObject({ host: 'host1', code: 3 });
    // A near-miss verdict does not stop the lesson: the next step still runs from the solution's state.
    expect(v.steps[1]).toMatchObject({ number: 2, ok: true });
  });

  it('runs a --solution given per host and skips that step\'s near-miss cases', async () => {
    const log: string[] = [];
    const s1 = { ...step(0, 'a', { host1: 'add a' }), cases: [wrong('w', { host1: 'true' })] };
    const v = await verifyLesson(lesson([s1]), { ...fast, step: 1, solution: { host2: 'add q', host1: 'add a' } }, deps(new Set(), log));
    expect(v.ok).toBe(true);
    expect(log).toEqual(['host2: add q', 'host1: add a', 'down']);
  });

  it('with reuse, saves the lab with a checkpoint per step start and starts the next --step run from the latest valid one', async () => {
    const disk: Disk = new Map();
    const l = lesson([step(0, 'a', { host1: 'add a' }), step(1, 'b', { host1: 'add b' }), step(2, 'c', { host1: 'add c' })], { host1: 'echo setup' });
    const run = async (lessonNow: Lesson, n: number) => {
      const log: string[] = [];
      const v = await verifyLesson(lessonNow, { ...fast, step: n, reuse: true }, deps(new Set(), log, disk));
      return { v, log: log.map((e) => e.replace(/-[0-9a-f]{12}$/, '')) };
    };
    const first = await run(l, 2);
    expect(first.v.ok).toBe(true);
    expect(first.log).toEqual(['host1: echo setup', 'checkpoint s1', 'host1: add a', 'checkpoint s2', 'host1: add b', 'suspend verify-99-test']);

    // Step 2 again: straight from its checkpoint, no setup, no step 1.
    const again = await run(l, 2);
    expect(again.v).toMatchObject({ ok: true, startedAt: 2 });
    expect(again.log).toEqual(['resume verify-99-test', 'restore s2', 'host1: add b', 'suspend verify-99-test']);

    // Step 3: from step 2's checkpoint, adding step 3's on the way.
    const next = await run(l, 3);
    expect(next.log).toEqual(['resume verify-99-test', 'restore s2', 'host1: add b', 'checkpoint s3', 'host1: add c', 'suspend verify-99-test']);

    // Step 2's solution edited: step 3's checkpoint is stale, step 2's start still holds.
    const edited = lesson([l.steps[0]!, step(1, 'b', { host1: 'add b\nadd x' }), l.steps[2]!], { host1: 'echo setup' });
    const after = await run(edited, 3);
    expect(after.v).toMatchObject({ ok: true, startedAt: 2 });
    expect(after.log).toEqual(['resume verify-99-test', 'restore s2', 'host1: add b\nadd x', 'checkpoint s3', 'host1: add c', 'suspend verify-99-test']);
  });

  it('prints a wrongly judged case with its file:line, comment and what the check said', async () => {
    const s1 = { ...step(0, 'a', { host1: 'add a' }), cases: [wrong('looks right', { host1: 'add a' }, 41), ok('broken', { host1: 'fail' }, 49)] };
    const v = await verifyLesson(lesson([s1]), fast, deps(new Set(), []));
    const text = formatStep(v.steps[0]!, 'lessons/99-test.md');
    expect(text).toContain('✗ step 1: s1');
    expect(text).toContain('1 wrong, 1 ok');
    expect(text).toContain('✗ lessons/99-test.md:41 ```wrong (looks right): 错误答案却通过了检查 / a wrong answer passed the check');
    expect(text).toContain('condition has "a": passes');
    expect(text).toContain('✗ lessons/99-test.md:49 ```ok (broken): 这个 ok 块的命令执行失败 / the ok block’s commands failed');
    expect(text).toContain('host1 exit 3:');
  });

  describe('near-miss cases judged on the states they left in an earlier run', () => {
    const cases = () => [wrong('half done', { host1: 'add x' }), ok('another way', { host1: 'add a\nadd y' })];
    const twoSteps = (check2 = 'b') => lesson([{ ...step(0, 'a', { host1: 'add a' }), cases: cases() }, step(1, check2, { host1: 'add b' })]);

    it('records each case judged as written, then judges it again by the current check without running it', async () => {
      const store = new Map<string, CaseRecord>();
      const first: string[] = [];
      expect((await verifyLesson(twoSteps(), fast, recordedDeps(new Set(), first, store))).ok).toBe(true);
      expect(first).toContain('host1: add x');
      expect(store.size).toBe(2);

      const again: string[] = [];
      const v = await verifyLesson(twoSteps(), fast, recordedDeps(new Set(), again, store));
      expect(v.ok).toBe(true);
      // No case's commands, no checkpoint or restore: only the solutions ran in the lab.
      expect(again).toEqual(['host1: add a', 'host1: add b', 'down']);
      expect(v.steps[0]!.cases.map((c) => [c.role, c.ok, typeof c.recorded])).toEqual([
        ['wrong', true, 'string'],
        ['ok', true, 'string'],
      ]);
      expect(formatStep(v.steps[0]!)).toContain('1 wrong, 1 ok, 2 judged on recorded states');
    });

    it("takes the step-start snapshot only for cases run in the lab and for kinds that compare with it", async () => {
      const snapshotting = (d: VerifyDeps, log: string[]): VerifyDeps => ({
        ...d,
        snapshot: async () => (log.push('snapshot'), {}),
      });
      // Step 2's check is of a kind that reads the baseline (the fake evaluate only looks at params).
      const l = lesson([
        { ...step(0, 'a', { host1: 'add a' }), cases: cases() },
        { ...step(1, 'b', { host1: 'add b' }), check: [{ kind: 'container', params: 'b', line: 1 }] },
      ]);
      const store = new Map<string, CaseRecord>();
      const first: string[] = [];
      expect((await verifyLesson(l, fast, snapshotting(recordedDeps(new Set(), first, store), first))).ok).toBe(true);
      expect(first.filter((e) => e === 'snapshot')).toHaveLength(2); // step 1 for its live cases
      const again: string[] = [];
      expect((await verifyLesson(l, fast, snapshotting(recordedDeps(new Set(), again, store), again))).ok).toBe(true);
      expect(again).toEqual(['host1: add a', 'snapshot', 'host1: add b', 'down']);
    });

    it('judges a changed check on the recorded states at once: a wrong case it now accepts fails the step', async () => {
      const store = new Map<string, CaseRecord>();
      await verifyLesson(twoSteps(), fast, recordedDeps(new Set(), [], store));
      // Step 1's check weakened to `x`: the recorded state of "half done" (only x) now passes it.
      const weak = lesson([{ ...step(0, 'x', { host1: 'add a\nadd x' }), cases: cases() }]);
      const log: string[] = [];
      const v = await verifyLesson(weak, fast, recordedDeps(new Set(), log, store));
      expect(v.steps[0]!.cases[0]).toMatchObject({ role: 'wrong', ok: false, problem: 'wrong-passes' });
      expect(v.steps[0]!.cases[0]!.recorded).toBeDefined();
      expect(log).not.toContain('host1: add x');
    });

    it('runs a case in the lab again when its commands, the steps before it, or the environment changed', async () => {
      const store = new Map<string, CaseRecord>();
      await verifyLesson(twoSteps(), fast, recordedDeps(new Set(), [], store));
      const edited = lesson([{ ...step(0, 'a', { host1: 'add a' }), cases: [wrong('half done', { host1: 'add x\nadd z' }), cases()[1]!] }, step(1, 'b', { host1: 'add b' })]);
      const log1: string[] = [];
      await verifyLesson(edited, fast, recordedDeps(new Set(), log1, store));
      expect(log1).toContain('host1: add x\nadd z');
      expect(log1).not.toContain('host1: add a\nadd y'); // the unchanged ok case is still recorded

      const log2: string[] = [];
      await verifyLesson(twoSteps(), fast, recordedDeps(new Set(), log2, store, 'env-2'));
      expect(log2).toContain('host1: add x');
      expect(log2).toContain('host1: add a\nadd y');

      const withSetup = lesson(twoSteps().steps, { host1: 'echo other setup' });
      const log3: string[] = [];
      await verifyLesson(withSetup, fast, recordedDeps(new Set(), log3, store));
      expect(log3).toContain('host1: add x');
    });

    it('runs a case again when the check asks for something its record lacks, or with replay off', async () => {
      const store = new Map<string, CaseRecord>();
      await verifyLesson(twoSteps(), fast, recordedDeps(new Set(), [], store));
      const probing = lesson([{ ...step(0, 'a', { host1: 'add a' }), check: [{ kind: 'has', params: 'a', line: 1 }, { kind: 'extra', params: {}, line: 2 }], cases: cases() }]);
      const log: string[] = [];
      const v = await verifyLesson(probing, fast, recordedDeps(new Set(), log, store));
      expect(log).toContain('host1: add x');
      expect(v.steps[0]!.cases.every((c) => c.recorded === undefined)).toBe(true);

      const rerun: string[] = [];
      await verifyLesson(twoSteps(), { ...fast, replay: false }, recordedDeps(new Set(), rerun, store));
      expect(rerun).toContain('host1: add x');
      expect(rerun).toContain('host1: add a\nadd y');
    });

    it('does not record a case judged wrongly: it runs in the lab next time', async () => {
      const store = new Map<string, CaseRecord>();
      const bad = lesson([{ ...step(0, 'a', { host1: 'add a' }), cases: [wrong('looks right', { host1: 'add a' })] }]);
      expect((await verifyLesson(bad, fast, recordedDeps(new Set(), [], store))).ok).toBe(false);
      expect(store.size).toBe(0);
    });
  });
});
