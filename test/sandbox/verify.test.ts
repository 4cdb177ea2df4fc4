// `dockerlab verify --step N` in a real sandbox, the instructor's loop: lesson 15's step 3 with a wrong
// answer — the veth ends put in the crossed namespaces — is rejected, naming the condition that failed;
// the lab is then saved with a checkpoint at each step's start, and the next run of the same step
// starts from step 3's checkpoint instead of replaying steps 1 and 2, and passes with the reference
// solution. (Every lesson, its solutions and its near-miss cases are proven by `verify --all` in
// npm test; this file proves the --step/--solution/checkpoint path that run does not take.) The
// cases' states are recorded on the way, and a third run judges them from the records: the real
// inspector's execs answered from the record, the same verdicts, nothing of the cases run in the lab.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveLessons, defaultDeps } from '../../engine/verify/cli.ts';
import { verifyLesson, type VerifyDeps } from '../../engine/verify/verify.ts';
import { fileRecords } from '../../engine/verify/records.ts';
import { forgetSaved } from '../../engine/sandbox/saved.ts';
import type { SandboxHost } from '../../engine/sandbox/api.ts';

const crossed = `ip link set veth-ns1 netns ns2
ip link set veth-ns2 netns ns1
`;
const key = 'verify-15-netns-veth';

const recordsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerlab-case-states-'));
/** What the labs were sent to run (each exec's stdin, or its command). */
const sent: string[] = [];
/** The real deps, with the cases' records in a folder of this test's own, and every exec noted in `sent`. */
async function deps(): Promise<VerifyDeps> {
  const d = await defaultDeps();
  return {
    ...d,
    records: { ...d.records!, store: fileRecords(recordsDir) },
    startLab: async (o) => {
      const lab = await d.startLab(o);
      const hosts = lab.hosts.map((h): SandboxHost => ({
        ...h,
        exec: (command, options) => {
          sent.push(String(options?.stdin ?? command));
          return h.exec(command, options);
        },
        ask: (socket, request, options) => h.ask(socket, request, options),
      }));
      return { ...lab, hosts, host: (name) => hosts.find((h) => h.name === name) ?? lab.host(name) };
    },
  };
}

describe('dockerlab verify --step', () => {
  afterAll(() => {
    forgetSaved(key);
    fs.rmSync(recordsDir, { recursive: true, force: true });
  });

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
    const verdict = await verifyLesson(lesson!, { step: 3, reuse: true }, await deps());
    expect(verdict.error).toBeUndefined();
    expect(verdict.startedAt).toBe(3);
    expect(verdict.steps.map((s) => [s.number, s.ok, s.problem])).toEqual([[3, true, undefined]]);
    // The near-miss cases ran from the same checkpoint: each judged as written, and recorded.
    const cases = verdict.steps[0]!.cases;
    expect(cases.length).toBe(lesson!.steps[2]!.cases.length);
    expect(cases.every((c) => c.ok && c.recorded === undefined)).toBe(true);
    expect(fs.readdirSync(recordsDir)).toHaveLength(cases.length);
  });

  it("judges step 3's cases again from their records, by the same check, without running them", async () => {
    const [lesson] = await resolveLessons(['15']);
    sent.length = 0;
    const verdict = await verifyLesson(lesson!, { step: 3, reuse: true }, await deps());
    expect(verdict.steps.map((s) => [s.number, s.ok, s.problem])).toEqual([[3, true, undefined]]);
    const cases = verdict.steps[0]!.cases;
    // The lab was sent the reference solution, and none of the cases' blocks (each block is sent
    // whole, after the runner's one-line preamble).
    const block = (script: string) => sent.some((x) => x.endsWith(`\n${script}\n`));
    expect(block(lesson!.steps[2]!.solution.host1!)).toBe(true);
    for (const c of lesson!.steps[2]!.cases)
      for (const script of Object.values(c.scripts)) expect(block(script)).toBe(false);
    expect(cases.map((c) => [c.role, c.ok, typeof c.recorded])).toEqual(
      lesson!.steps[2]!.cases.map((c) => [c.role, true, 'string']),
    );
    // The wrong cases were refused for what they got wrong, read from the recorded snapshots.
    for (const c of cases.filter((c) => c.role === 'wrong'))
      expect(c.result?.conditions.some((x) => !x.ok)).toBe(true);
    expect(fs.readdirSync(recordsDir)).toHaveLength(cases.length);
  });
});
