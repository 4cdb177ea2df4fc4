/**
 * Proves a lesson in a real sandbox: after its setup, each step's check must FAIL before the
 * reference solution runs (else the step would be done before the learner does anything — a lesson
 * bug) and PASS after it.
 */
import type { Lab, LabOptions } from '../sandbox/api.ts';
import type { StepResult } from '../checks/types.ts';
import type { Condition, Lesson } from '../lessons/types.ts';

export type Evaluate = (conditions: Condition[], lab: Lab) => Promise<StepResult>;

export interface VerifyDeps {
  startLab(options: LabOptions): Promise<Lab>;
  evaluate: Evaluate;
}

export interface VerifyOptions {
  /** 1-based step to verify; the steps before it only run their solutions. */
  step?: number;
  /** A script to run in place of the verified step's reference solution (needs `step`). */
  solution?: { host: string; script: string };
  /** Leave the lab running afterwards (its id is in the verdict). */
  keep?: boolean;
  /** How often to re-check after a solution before calling it failed (tests shorten it). */
  settle?: { tries: number; delayMs: number };
  /** Called as each step finishes, so the CLI can print progress on a slow VM. */
  onStep?: (v: StepVerdict) => void;
}

export type StepProblem = 'passes-before' | 'solution-failed' | 'fails-after';

export interface StepVerdict {
  /** 1-based, as printed. */
  number: number;
  title: string;
  ok: boolean;
  problem?: StepProblem;
  before: StepResult | null;
  after: StepResult | null;
  /** Exit status and tail of output of the solution that failed, when it did. */
  solution?: { host: string; code: number; output: string };
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
}

/** Solutions and setup run with `set -e`, so a failing command is reported rather than ignored. */
const strict = 'set -e\n';
/** A solution may start a daemon or container that needs a moment: re-check a few times. */
const settleTries = 4;
const settleDelayMs = 1500;
const scriptTimeoutMs = 300_000;

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
  };
  if (options.solution && !options.step)
    throw new Error('--solution needs --step N: which step should it replace?');
  if (options.step !== undefined && (options.step < 1 || options.step > lesson.steps.length)) {
    throw new Error(`${lesson.id} has steps 1..${lesson.steps.length}, not ${options.step}`);
  }
  let lab: Lab | undefined;
  try {
    lab = await deps.startLab({ hosts: lesson.hosts, label: `verify ${lesson.id}` });
    verdict.labId = lab.id;
    verdict.bootMs = Date.now() - t0;
    const t1 = Date.now();
    for (const [host, script] of Object.entries(lesson.setup)) {
      const r = await lab.host(host).exec(strict + script, { timeoutMs: scriptTimeoutMs });
      if (r.code !== 0) {
        verdict.error = `setup on ${host} exited ${r.code}: ${tail(r.stdout + r.stderr)}`;
        return verdict;
      }
    }
    verdict.setupMs = Date.now() - t1;

    for (const step of lesson.steps) {
      const number = step.index + 1;
      if (options.step !== undefined && number > options.step) break;
      const verified = options.step === undefined || number === options.step;
      const scripts =
        number === options.step && options.solution
          ? { [options.solution.host]: options.solution.script }
          : step.solution;
      const ts = Date.now();
      const v: StepVerdict = { number, title: step.title, ok: false, before: null, after: null, ms: 0 };
      if (verified) v.before = await deps.evaluate(step.check, lab);
      for (const [host, script] of Object.entries(scripts)) {
        const r = await lab.host(host).exec(strict + script, { timeoutMs: scriptTimeoutMs });
        if (r.code !== 0) {
          v.solution = { host, code: r.code, output: tail(r.stdout + r.stderr) };
          break;
        }
      }
      if (!verified) {
        // A step before the one asked for only brings the lab to its state; its failure still matters.
        if (v.solution) {
          verdict.error = `step ${number} (before the verified one): solution on ${v.solution.host} exited ${v.solution.code}: ${v.solution.output}`;
          return verdict;
        }
        continue;
      }
      if (!v.solution) {
        const { tries, delayMs } = options.settle ?? { tries: settleTries, delayMs: settleDelayMs };
        for (let i = 0; i < tries; i++) {
          if (i > 0) await new Promise((r) => setTimeout(r, delayMs));
          v.after = await deps.evaluate(step.check, lab);
          if (v.after.ok) break;
        }
      }
      v.problem = v.before?.ok
        ? 'passes-before'
        : v.solution
          ? 'solution-failed'
          : v.after?.ok
            ? undefined
            : 'fails-after';
      v.ok = v.problem === undefined;
      v.ms = Date.now() - ts;
      verdict.steps.push(v);
      options.onStep?.(v);
      // Later steps build on this one; running them on a broken state only adds noise.
      if (!v.ok && v.problem !== 'passes-before') break;
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

function tail(s: string, lines = 12): string {
  return s.trim().split('\n').slice(-lines).join('\n');
}
