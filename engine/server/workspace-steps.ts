/**
 * What a workspace runs in a lab for a lesson's steps: the setup and the redo of finished steps on
 * a new lab, a skipped step's solution, and a step's check. Scripts go through the one runner
 * (engine/lessons/run.ts) that `dockerlab verify` uses, so what verify proves is what learners get.
 */
import type { Lab } from '../sandbox/api.ts';
import type { Lesson, Step } from '../lessons/types.ts';
import { describeFailure, runScripts, type RunFailure, type RunOptions } from '../lessons/run.ts';
import type { CheckView, Text } from '../protocol.ts';
import type { Baseline, Evaluate } from './course.ts';
import { replayProblem } from './workspace-text.ts';
import { logger } from '../log.ts';

const log = logger('workspace');

/** Setup and solutions can pull images or wait for daemons on a slow VM. */
const scriptTimeoutMs = 180_000;

export interface StepProblem {
  /** For the learner. */
  text: Text;
  /** For the log. */
  log: { step: number } & RunFailure;
}

/**
 * Brings a lab to the lesson's state: its setup (which must succeed: it throws), then the
 * solutions of `passed`, typed as the learner typed them (checks that read the shell's history see
 * them too). A solution that fails does not stop the others; it is returned.
 */
export async function prepareLab(
  lab: Lab,
  lesson: Lesson,
  passed: Step[],
  say: (detail: Text) => void,
): Promise<StepProblem[]> {
  say({ zh: '正在准备本课的实验环境…', en: 'Preparing the lesson’s environment…' });
  const setup = await runScripts(lab, lesson.setup, {
    mode: 'strict',
    as: 'script',
    timeoutMs: scriptTimeoutMs,
  });
  if (setup.failure) throw new Error(`setup: ${describeFailure(setup.failure).en}`);
  const problems: StepProblem[] = [];
  for (const [n, step] of passed.entries()) {
    say({
      zh: `正在重做你已完成的步骤（${n + 1}/${passed.length}）…`,
      en: `Redoing your finished steps (${n + 1}/${passed.length})…`,
    });
    const r = await runScripts(lab, step.solution, {
      mode: 'strict',
      as: 'typed',
      timeoutMs: scriptTimeoutMs,
    });
    if (r.failure) {
      problems.push({
        text: replayProblem(step.index, step.title, describeFailure(r.failure)),
        log: { step: step.index, ...r.failure },
      });
    }
  }
  return problems;
}

/**
 * Runs a step's reference solution as typed; null when it succeeded, else why not. `watch` hears
 * each host's script start and its output as it comes (a skip shows them to the learner).
 */
export async function solve(
  lab: Lab,
  step: Step,
  watch: Pick<RunOptions, 'onStart' | 'onOutput'> = {},
): Promise<{ why: Text; log: { step: number } & RunFailure } | null> {
  const r = await runScripts(lab, step.solution, {
    mode: 'strict',
    as: 'typed',
    timeoutMs: scriptTimeoutMs,
    ...watch,
  });
  return r.failure ? { why: describeFailure(r.failure), log: { step: step.index, ...r.failure } } : null;
}

/** Checks a step against the lab; a check that throws becomes a result that says so. */
export async function checkStep(
  evaluate: Evaluate,
  lessonId: string,
  step: Step,
  lab: Lab,
  baseline?: Baseline,
): Promise<CheckView> {
  try {
    const r = await evaluate(step.check, lab, baseline);
    return {
      lessonId,
      step: step.index,
      ok: r.ok,
      elapsedMs: Math.round(r.elapsedMs),
      conditions: r.conditions.map((c) => ({
        kind: c.kind,
        ok: c.ok,
        weak: c.weak ?? false,
        messages: c.messages,
      })),
    };
  } catch (e) {
    const msg = (e as Error).message;
    log.error('check threw', { lessonId, step: step.index, error: msg });
    return {
      lessonId,
      step: step.index,
      ok: false,
      conditions: [],
      elapsedMs: 0,
      error: { zh: `检查没能完成：${msg}`, en: `the check could not run: ${msg}` },
    };
  }
}
