// `dockerlab verify --step N` in a real sandbox, the instructor's loop: lesson 15's step 3 with a wrong
// answer — the veth ends put in the crossed namespaces — is rejected, naming the condition that failed;
// the lab is then saved with a checkpoint at each step's start, and the next run of the same step
// starts from step 3's checkpoint instead of replaying steps 1 and 2, and passes with the reference
// solution. (Every lesson, its solutions and its near-miss cases are proven by `verify --all` in
// npm test; this file proves the --step/--solution/checkpoint path that run does not take.)
import { afterAll, describe, expect, it } from 'vitest';
import { resolveLessons, defaultDeps } from '../../engine/verify/cli.ts';
import { verifyLesson } from '../../engine/verify/verify.ts';
import { forgetSaved } from '../../engine/sandbox/saved.ts';

const crossed = `ip link set veth-ns1 netns ns2
ip link set veth-ns2 netns ns1
`;
const key = 'verify-15-netns-veth';

describe('dockerlab verify --step', () => {
  afterAll(() => forgetSaved(key));

  it('rejects crossed veth ends as the answer to step 3 of lesson 15, and saves the lab', async () => {
    forgetSaved(key); // an instructor's earlier run must not decide where this one starts
    const [lesson] = await resolveLessons(['15']);
    const verdict = await verifyLesson(
      lesson!,
      { step: 3, solution: { host1: crossed }, reuse: true },
      await defaultDeps(),
    );
    expect(verdict.startedAt).toBeUndefined(); // a fresh lab: setup, then steps 1 and 2 replayed
    expect(verdict.ok).toBe(false);
    const step = verdict.steps[0]!;
    expect(step).toMatchObject({ number: 3, ok: false, problem: 'fails-after' });
    // The check saw the script run (no solution failure) and blamed the veth condition.
    expect(step.solution).toBeUndefined();
    expect(step.after?.conditions.filter((c) => !c.ok).map((c) => c.kind)).toEqual(['veth']);
    expect((await defaultDeps()).saved?.(key)).toContain('15-netns-veth');
  });

  it('starts the next run of step 3 from its checkpoint, where the reference solution passes', async () => {
    const [lesson] = await resolveLessons(['15']);
    const verdict = await verifyLesson(lesson!, { step: 3, reuse: true }, await defaultDeps());
    expect(verdict.error).toBeUndefined();
    expect(verdict.startedAt).toBe(3);
    expect(verdict.steps.map((s) => [s.number, s.ok, s.problem])).toEqual([[3, true, undefined]]);
    // The near-miss cases ran from the same checkpoint: each judged as written.
    expect(verdict.steps[0]!.cases.length).toBe(lesson!.steps[2]!.cases.length);
    expect(verdict.steps[0]!.cases.every((c) => c.ok)).toBe(true);
  });
});
