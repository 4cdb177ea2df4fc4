// `dockerlab verify` in a real sandbox: lesson 15 (network namespaces and a veth pair) is proven
// step by step, and a wrong answer to its third step — the veth ends put in the crossed namespaces —
// is rejected by the check, naming the condition that failed.
import { describe, expect, it } from 'vitest';
import { resolveLessons, defaultDeps } from '../../engine/verify/cli.ts';
import { verifyLesson } from '../../engine/verify/verify.ts';

const crossed = `ip link set veth-ns1 netns ns2
ip link set veth-ns2 netns ns1
`;

describe('dockerlab verify', () => {
  it('proves lesson 15: every check fails before its solution and passes after', async () => {
    const [lesson] = await resolveLessons(['15']);
    const verdict = await verifyLesson(lesson!, {}, await defaultDeps());
    expect(verdict.error).toBeUndefined();
    expect(verdict.steps.map((s) => [s.number, s.ok, s.problem])).toEqual(
      lesson!.steps.map((s) => [s.index + 1, true, undefined]),
    );
    expect(verdict.ok).toBe(true);
  });

  it('rejects crossed veth ends as the answer to step 3 of lesson 15', async () => {
    const [lesson] = await resolveLessons(['15']);
    const verdict = await verifyLesson(
      lesson!,
      { step: 3, solution: { host1: crossed } },
      await defaultDeps(),
    );
    expect(verdict.ok).toBe(false);
    const step = verdict.steps[0]!;
    expect(step).toMatchObject({ number: 3, ok: false, problem: 'fails-after' });
    // The check saw the script run (no solution failure) and blamed the veth condition.
    expect(step.solution).toBeUndefined();
    expect(step.after?.conditions.filter((c) => !c.ok).map((c) => c.kind)).toEqual(['veth']);
  });
});
