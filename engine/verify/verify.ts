/**
 * Proves a lesson in a real sandbox. After its setup, for each step: the check must FAIL before the
 * reference solution runs (else the step would be done before the learner does anything — a lesson
 * bug) and PASS after it; and every near-miss case of the step, run from the step's start state
 * (a lab checkpoint restored before each), must be judged as written: each ```wrong case FAILS the
 * check, each ```ok case PASSES it. Scripts run through engine/lessons/run.ts, as learners' do.
 */
import type { Lab, LabOptions } from '../sandbox/api.ts';
import type { StepResult } from '../checks/types.ts';
import type { Case, Condition, Lesson, Step } from '../lessons/types.ts';
import { runScripts, type RunFailure } from '../lessons/run.ts';

export type Evaluate = (conditions: Condition[], lab: Lab) => Promise<StepResult>;

export interface VerifyDeps {
  startLab(options: LabOptions): Promise<Lab>;
  evaluate: Evaluate;
}

export interface VerifyOptions {
  /** 1-based step to verify; the steps before it only run their solutions. */
  step?: number;
  /** Scripts per host to run in place of the verified step's reference solution (needs `step`). */
  solution?: Record<string, string>;
  /** Leave the lab running afterwards (its id is in the verdict). */
  keep?: boolean;
  /** How often to re-check after a solution or ```ok case before calling it failed (tests shorten it). */
  settle?: { tries: number; delayMs: number };
  /** Called as each step finishes, so the CLI can print progress on a slow VM. */
  onStep?: (v: StepVerdict) => void;
}

export type StepProblem = 'passes-before' | 'solution-failed' | 'fails-after' | 'near-miss';

/** A ```wrong case the check accepted, an ```ok case it refused, or an ```ok case whose commands failed. */
export type CaseProblem = 'wrong-passes' | 'ok-fails' | 'ok-failed' | 'timed-out';

export interface CaseVerdict {
  role: Case['role'];
  why: string;
  /** Line of the case's first block in the lesson file. */
  line: number;
  ok: boolean;
  problem?: CaseProblem;
  /** The check after the case ran (null when its commands failed or timed out). */
  result: StepResult | null;
  /** Why an ```ok case's commands (or a timed-out ```wrong case's) did not finish. */
  run?: RunFailure;
  ms: number;
}

export interface StepVerdict {
  /** 1-based, as printed. */
  number: number;
  title: string;
  ok: boolean;
  problem?: StepProblem;
  before: StepResult | null;
  after: StepResult | null;
  /** Where and how the solution failed, when it did. */
  solution?: { host: string; code: number; output: string; line?: number; command?: string };
  cases: CaseVerdict[];
  ms: number;
}

export interface LessonVerdict {
  id: string;
  file: string;
  ok: boolean;
  labId?: string;
  /** Set when the lesson could not be run at all (lab, setup). */
  error?: string;
  /** How many fresh-lab reruns it took (verify --retries), if any. */
  retried?: number;
  steps: StepVerdict[];
  bootMs: number;
  setupMs: number;
  totalMs: number;
  /** Time spent taking and restoring checkpoints. */
  checkpointMs: number;
}

/** A solution may start a daemon or container that needs a moment: re-check a few times. */
const settleTries = 4;
const settleDelayMs = 1500;
/** The checkpoint a step's near-miss cases start from (one name, replaced at each step). */
const stepCheckpoint = 'verify-step';

export async function verifyLesson(
  lesson: Lesson,
  options: VerifyOptions,
  deps: VerifyDeps,
): Promise<LessonVerdict> {
  const t0 = Date.now();
  const verdict: LessonVerdict = {
    id: lesson.id,
    file: lesson.file,
    ok: false,
    steps: [],
    bootMs: 0,
    setupMs: 0,
    totalMs: 0,
    checkpointMs: 0,
  };
  if (options.solution && !options.step)
    throw new Error('--solution needs --step N: which step should it replace?');
  if (options.step !== undefined && (options.step < 1 || options.step > lesson.steps.length)) {
    throw new Error(`${lesson.id} has steps 1..${lesson.steps.length}, not ${options.step}`);
  }
  const settle = options.settle ?? { tries: settleTries, delayMs: settleDelayMs };
  let lab: Lab | undefined;
  try {
    lab = await deps.startLab({ hosts: lesson.hosts, label: `verify ${lesson.id}` });
    verdict.labId = lab.id;
    verdict.bootMs = Date.now() - t0;
    const t1 = Date.now();
    const setup = await runScripts(lab, lesson.setup, { mode: 'strict', as: 'script' });
    if (setup.failure) {
      const f = setup.failure;
      verdict.error = `setup on ${f.host} exited ${f.code}${f.line ? ` at line ${f.line} (${f.command})` : ''}: ${f.outputTail}`;
      return verdict;
    }
    verdict.setupMs = Date.now() - t1;

    const timed = async (f: () => Promise<void>) => {
      const t = Date.now();
      await f();
      verdict.checkpointMs += Date.now() - t;
    };

    for (const step of lesson.steps) {
      const number = step.index + 1;
      if (options.step !== undefined && number > options.step) break;
      const verified = options.step === undefined || number === options.step;
      const scripts = number === options.step && options.solution ? options.solution : step.solution;
      if (!verified) {
        // A step before the one asked for only brings the lab to its state; its failure still matters.
        const r = await runScripts(lab, scripts, { mode: 'strict', as: 'typed' });
        if (r.failure) {
          verdict.error = `step ${number} (before the verified one): solution on ${r.failure.host} exited ${r.failure.code}${r.failure.line ? ` at line ${r.failure.line}` : ''}: ${r.failure.outputTail}`;
          return verdict;
        }
        continue;
      }
      const ts = Date.now();
      const v: StepVerdict = {
        number,
        title: step.title,
        ok: false,
        before: null,
        after: null,
        cases: [],
        ms: 0,
      };
      const cases = options.solution && number === options.step ? [] : step.cases;
      if (cases.length > 0) {
        if (!lab.checkpoint || !lab.restore)
          throw new Error('this lab cannot take checkpoints, which near-miss cases need');
        await timed(() => lab!.checkpoint!(stepCheckpoint));
      }
      v.before = await deps.evaluate(step.check, lab);
      for (const [i, c] of cases.entries()) {
        if (i > 0) await timed(() => lab!.restore!(stepCheckpoint));
        v.cases.push(await verifyCase(lab, step, c, deps, settle));
      }
      if (cases.length > 0) await timed(() => lab!.restore!(stepCheckpoint));

      const r = await runScripts(lab, scripts, { mode: 'strict', as: 'typed' });
      if (r.failure) {
        const f = r.failure;
        v.solution = { host: f.host, code: f.code, output: f.outputTail, line: f.line, command: f.command };
      } else {
        v.after = await settled(() => deps.evaluate(step.check, lab!), settle);
      }
      v.problem = v.before?.ok
        ? 'passes-before'
        : v.solution
          ? 'solution-failed'
          : !v.after?.ok
            ? 'fails-after'
            : v.cases.some((c) => !c.ok)
              ? 'near-miss'
              : undefined;
      v.ok = v.problem === undefined;
      v.ms = Date.now() - ts;
      verdict.steps.push(v);
      options.onStep?.(v);
      // Later steps build on this one; running them on a broken state only adds noise.
      if (v.problem === 'solution-failed' || v.problem === 'fails-after') break;
    }
    verdict.ok = verdict.steps.length > 0 && verdict.steps.every((s) => s.ok) && !verdict.error;
    return verdict;
  } catch (e) {
    verdict.error = e instanceof Error ? e.message : String(e);
    return verdict;
  } finally {
    verdict.totalMs = Date.now() - t0;
    if (lab && !options.keep) await lab.down();
    else lab?.detach?.(); // kept: let the CLI exit
  }
}

/**
 * Runs one near-miss case on the step's start state and judges it. A ```wrong case runs leniently
 * and is judged once, right after (it must fail then); an ```ok case runs strictly and may settle
 * like a solution.
 */
async function verifyCase(
  lab: Lab,
  step: Step,
  c: Case,
  deps: VerifyDeps,
  settle: { tries: number; delayMs: number },
): Promise<CaseVerdict> {
  const t = Date.now();
  const base = { role: c.role, why: c.why, line: c.line };
  const r = await runScripts(lab, c.scripts, { mode: c.role === 'ok' ? 'strict' : 'lenient', as: 'typed' });
  if (r.failure) {
    const problem: CaseProblem = r.failure.timedOut ? 'timed-out' : 'ok-failed';
    return { ...base, ok: false, problem, result: null, run: r.failure, ms: Date.now() - t };
  }
  const result =
    c.role === 'ok'
      ? await settled(() => deps.evaluate(step.check, lab), settle)
      : await deps.evaluate(step.check, lab);
  const ok = c.role === 'ok' ? result.ok : !result.ok;
  const verdict: CaseVerdict = { ...base, ok, result, ms: Date.now() - t };
  if (!ok) verdict.problem = c.role === 'ok' ? 'ok-fails' : 'wrong-passes';
  return verdict;
}

/** Evaluates until the check passes, up to `tries` times; returns the last result. */
async function settled(
  evaluate: () => Promise<StepResult>,
  settle: { tries: number; delayMs: number },
): Promise<StepResult> {
  let result = await evaluate();
  for (let i = 1; i < settle.tries && !result.ok; i++) {
    await new Promise((r) => setTimeout(r, settle.delayMs));
    result = await evaluate();
  }
  return result;
}
