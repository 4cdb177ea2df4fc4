/**
 * Proves a lesson in a real sandbox. After its setup, for each step: the check must FAIL before the
 * reference solution runs (else the step would be done before the learner does anything — a lesson
 * bug) and PASS after it; and every near-miss case of the step, run from the step's start state
 * (a lab checkpoint restored before each), must be judged as written: each ```wrong case FAILS the
 * check, each ```ok case PASSES it. Scripts run through engine/lessons/run.ts, as learners' do.
 * A case whose state an earlier run recorded, with nothing that makes that state changed since, is
 * judged by the current check on the recorded state instead of being run again (records.ts).
 */
import crypto from 'node:crypto';
import type { Lab, LabOptions } from '../sandbox/api.ts';
import type { StepResult } from '../checks/types.ts';
import type { HostState } from '../inspect/types.ts';
import type { Case, Condition, Lesson, Step } from '../lessons/types.ts';
import { readsBaseline } from '../checks/index.ts';
import { runScripts, type RunFailure } from '../lessons/run.ts';
import { baselineOf, caseKey, NotRecorded, recording, replaying, type CaseRecords } from './records.ts';

/** `baseline`: the hosts' snapshots at the step's start (CheckContext.baseline), when deps.snapshot gives one. */
export type Evaluate = (
  conditions: Condition[],
  lab: Lab,
  baseline?: Record<string, HostState>,
) => Promise<StepResult>;

export interface VerifyDeps {
  /** `resume` starts the lab saved under that key instead of a fresh one. */
  startLab(options: LabOptions & { resume?: string }): Promise<Lab>;
  evaluate: Evaluate;
  /** Each host's snapshot at a step's start, for checks that compare with it (renamed vs removed, restarted vs recreated). */
  snapshot?(lab: Lab): Promise<Record<string, HostState>>;
  /** The note of the lab saved under `key`, or null when there is none that can be resumed. */
  saved?(key: string): string | null;
  /**
   * Where the states near-miss cases left are kept (engine/verify/records.ts), and the key of
   * everything besides the lesson that makes them (records.environmentKey). Without both, every
   * case runs in the lab and nothing is kept.
   */
  records?: { store: CaseRecords; environment: string };
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
  /**
   * With `step`: keep the lab afterwards, saved whole with a checkpoint at the start of each step it
   * went through, and start the next run from the latest checkpoint whose steps before it are
   * unchanged, instead of a fresh lab replaying every earlier solution (the instructor's loop).
   */
  reuse?: boolean;
  /** false: leave out the near-miss cases (only the reference solutions are proven). */
  cases?: boolean;
  /**
   * false: run every case in the lab even when the state it leaves is recorded (and record it
   * again). Default: a recorded case is judged on its recorded state by the current check.
   */
  replay?: boolean;
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
  /** Set when the case was judged on the state it left in an earlier run (when that run was). */
  recorded?: string;
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
  /** With `reuse`: the 1-based step whose saved checkpoint the run started from, if any. */
  startedAt?: number;
}

/** What a reused lab's note records: the lesson, and per step index the hash of its start state. */
interface ReuseNote {
  lesson: string;
  starts: Record<number, string>;
}

/**
 * A hash of the state at the start of each step, for each 0-based step index: the setup and the
 * solutions before it (and the lesson's host count). A checkpoint is reused only where it matches.
 */
export function stepStarts(lesson: Lesson): string[] {
  let h = crypto
    .createHash('sha256')
    .update(JSON.stringify([lesson.hosts, lesson.setup]))
    .digest('hex');
  return lesson.steps.map((s) => {
    const start = h;
    h = crypto.createHash('sha256').update(h).update(JSON.stringify(s.solution)).digest('hex');
    return start;
  });
}

const checkpointName = (index: number, hash: string) => `s${index + 1}-${hash.slice(0, 12)}`;

/** A solution may start a daemon or container that needs a moment: re-check a few times. */
const settleTries = 4;
const settleDelayMs = 1500;
/** A near-miss block that waits for input it never gets (`docker attach`, say) is stopped after this. */
const caseTimeoutMs = 120_000;
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
  const reuse = options.reuse === true && options.step !== undefined;
  const reuseKey = `verify-${lesson.id}`;
  const starts = stepStarts(lesson);
  /** Checkpoints in the lab (reuse): step index → start hash. */
  const kept: Record<number, string> = {};
  let lab: Lab | undefined;
  const timed = async (f: () => Promise<void>) => {
    const t = Date.now();
    await f();
    verdict.checkpointMs += Date.now() - t;
  };
  try {
    // Reuse: the latest step start, up to the verified step, whose checkpoint is still valid.
    let from = -1;
    const note = reuse ? parseNote(deps.saved?.(reuseKey) ?? null, lesson.id) : null;
    if (note) {
      for (let k = options.step! - 1; k >= 0 && from < 0; k--) if (note.starts[k] === starts[k]) from = k;
    }
    if (from >= 0) {
      try {
        lab = await deps.startLab({ hosts: lesson.hosts, label: `verify ${lesson.id}`, resume: reuseKey });
        await timed(() => lab!.restore!(checkpointName(from, starts[from]!)));
        for (const [k, h] of Object.entries(note!.starts)) if (starts[Number(k)] === h) kept[Number(k)] = h;
        verdict.startedAt = from + 1;
      } catch {
        await lab?.down();
        lab = undefined;
        from = -1; // an unusable saved lab: start afresh
      }
    }
    lab ??= await deps.startLab({ hosts: lesson.hosts, label: `verify ${lesson.id}` });
    verdict.labId = lab.id;
    verdict.bootMs = Date.now() - t0;
    const t1 = Date.now();
    if (from < 0) {
      const setup = await runScripts(lab, lesson.setup, { mode: 'strict', as: 'script' });
      if (setup.failure) {
        const f = setup.failure;
        verdict.error = `setup on ${f.host} exited ${f.code}${f.line ? ` at line ${f.line} (${f.command})` : ''}: ${f.outputTail}`;
        return verdict;
      }
    }
    verdict.setupMs = Date.now() - t1;

    for (const step of lesson.steps) {
      const number = step.index + 1;
      if (options.step !== undefined && number > options.step) break;
      if (step.index < from) continue; // the restored checkpoint is past it
      const verified = options.step === undefined || number === options.step;
      const scripts = number === options.step && options.solution ? options.solution : step.solution;
      // Reuse: a checkpoint at every step start on the way, so the next run can start there.
      if (reuse && kept[step.index] === undefined) {
        await timed(() => lab!.checkpoint!(checkpointName(step.index, starts[step.index]!)));
        kept[step.index] = starts[step.index]!;
      }
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
      const cases =
        (options.solution && number === options.step) || options.cases === false ? [] : step.cases;
      // Cases whose state is recorded are judged on it first; the others run in the lab.
      const store = deps.records;
      const keys = cases.map((c) => (store ? caseKey(store.environment, starts[step.index]!, c) : ''));
      const judged = new Map<number, CaseVerdict>();
      if (store && options.replay !== false)
        for (const [i, c] of cases.entries()) {
          const verdict = await judgeRecorded(lab, step, c, deps, store.store, keys[i]!);
          if (verdict) judged.set(i, verdict);
        }
      const live = cases.map((_, i) => i).filter((i) => !judged.has(i));
      // The step's start: the reuse checkpoint taken above, or one name replaced at every step.
      const start = reuse ? checkpointName(step.index, starts[step.index]!) : stepCheckpoint;
      if (live.length > 0 && !reuse) {
        if (!lab.checkpoint || !lab.restore)
          throw new Error('this lab cannot take checkpoints, which near-miss cases need');
        await timed(() => lab!.checkpoint!(start));
      }
      // The step's start, for the near-miss cases run in the lab and for kinds that compare with it.
      const baseline = live.length > 0 || readsBaseline(step.check) ? await deps.snapshot?.(lab) : undefined;
      v.before = await deps.evaluate(step.check, lab, baseline);
      for (const [n, i] of live.entries()) {
        if (n > 0) await timed(() => lab!.restore!(start));
        const c = cases[i]!;
        const record = store
          ? { store: store.store, key: keys[i]!, where: `${lesson.file}:${c.line}` }
          : undefined;
        judged.set(i, await verifyCase(lab, step, c, deps, settle, baseline, record));
      }
      v.cases = cases.map((_, i) => judged.get(i)!);
      if (live.length > 0) await timed(() => lab!.restore!(start));

      const r = await runScripts(lab, scripts, { mode: 'strict', as: 'typed' });
      if (r.failure) {
        const f = r.failure;
        v.solution = { host: f.host, code: f.code, output: f.outputTail, line: f.line, command: f.command };
      } else {
        v.after = await settled(() => deps.evaluate(step.check, lab!, baseline), settle);
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
    if (lab && reuse && !options.keep && lab.suspend && Object.keys(kept).length > 0) {
      const note: ReuseNote = { lesson: lesson.id, starts: kept };
      await lab.suspend(reuseKey, JSON.stringify(note)).catch(() => lab!.down());
    } else if (lab && !options.keep) await lab.down();
    else lab?.detach?.(); // kept: let the CLI exit
    verdict.totalMs = Date.now() - t0;
  }
}

function parseNote(text: string | null, lesson: string): ReuseNote | null {
  try {
    const note = JSON.parse(text ?? 'null') as ReuseNote | null;
    return note?.lesson === lesson && note.starts && typeof note.starts === 'object' ? note : null;
  } catch {
    return null;
  }
}

/**
 * Judges a case on the state it left in an earlier run, if that is recorded under `key`: the
 * current check, evaluated on the recorded execs and baseline. Undefined when there is no record,
 * or the check asks for something the record lacks (then the case runs in the lab).
 */
async function judgeRecorded(
  lab: Lab,
  step: Step,
  c: Case,
  deps: VerifyDeps,
  store: CaseRecords,
  key: string,
): Promise<CaseVerdict | undefined> {
  const record = store.get(key);
  if (!record) return undefined;
  const t = Date.now();
  try {
    const replay = replaying(lab, record);
    const result = await deps.evaluate(step.check, replay.lab, baselineOf(record));
    // A condition whose exec the record lacks "failed" only for that: its verdict is not one.
    if (replay.missing.length > 0) return undefined;
    return { ...judged(c, result), recorded: record.at, ms: Date.now() - t };
  } catch (e) {
    if (e instanceof NotRecorded) return undefined;
    throw e;
  }
}

/**
 * Runs one near-miss case on the step's start state and judges it. A ```wrong case runs leniently
 * and is judged once, right after (it must fail then); an ```ok case runs strictly and may settle
 * like a solution. With `record`, a case judged as written keeps the execs of the evaluation that
 * decided under its key, unless one of them timed out (a verdict the lab's load may have made); a
 * case judged wrongly is not kept, so it runs in the lab again next time.
 */
async function verifyCase(
  lab: Lab,
  step: Step,
  c: Case,
  deps: VerifyDeps,
  settle: { tries: number; delayMs: number },
  baseline?: Record<string, HostState>,
  record?: { store: CaseRecords; key: string; where: string },
): Promise<CaseVerdict> {
  const t = Date.now();
  const base = { role: c.role, why: c.why, line: c.line };
  const r = await runScripts(lab, c.scripts, {
    mode: c.role === 'ok' ? 'strict' : 'lenient',
    as: 'typed',
    timeoutMs: caseTimeoutMs,
  });
  if (r.failure) {
    const problem: CaseProblem = r.failure.timedOut ? 'timed-out' : 'ok-failed';
    return { ...base, ok: false, problem, result: null, run: r.failure, ms: Date.now() - t };
  }
  const rec = recording(lab);
  const evaluate = () => {
    rec.take(); // only the last evaluation's execs are the state's
    return deps.evaluate(step.check, rec.lab, baseline);
  };
  const at = new Date().toISOString();
  const result = c.role === 'ok' ? await settled(evaluate, settle) : await evaluate();
  const execs = rec.take();
  const verdict: CaseVerdict = { ...judged(c, result), ms: Date.now() - t };
  if (record && verdict.ok && !execs.some((e) => e.result.timedOut))
    record.store.put(record.key, { at, where: record.where, baseline, execs });
  return verdict;
}

/** A case judged by the check's result: a ```wrong case must fail it, an ```ok case pass it. */
function judged(c: Case, result: StepResult): Omit<CaseVerdict, 'ms'> {
  const ok = c.role === 'ok' ? result.ok : !result.ok;
  const verdict: Omit<CaseVerdict, 'ms'> = { role: c.role, why: c.why, line: c.line, ok, result };
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
