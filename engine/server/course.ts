/**
 * The course as one learner sees it: lesson views with their progress, checks (on demand and after
 * each command), hints one at a time, the reference solution on request, and skipping a step by
 * running its solution. Holds no sockets: results go out through `publish`.
 */
import type { Lab } from '../sandbox/api.ts';
import type { StepResult } from '../checks/types.ts';
import type { Condition, Lesson } from '../lessons/types.ts';
import type {
  CheckView,
  HintView,
  LessonSummary,
  LessonView,
  ProgressView,
  ServerEvent,
  SolutionView,
  Text,
} from '../protocol.ts';
import type { Store } from './store.ts';

export type Lang = 'zh' | 'en';
import { logger } from '../log.ts';

const log = logger('course');

export type Evaluate = (conditions: Condition[], lab: Lab) => Promise<StepResult>;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly text: Text,
  ) {
    super(text.en);
  }
}

export interface CourseOptions {
  lessons: Lesson[];
  /** English twins (`NN-slug.en.md`) by lesson id: shown when the page asks for English. */
  english?: Map<string, Lesson>;
  store: Store;
  evaluate: Evaluate;
  /** The learner's lab, ready for the lesson (may start it: queue, boot, setup). */
  labFor(learnerId: string, lesson: Lesson): Promise<Lab>;
  /** The learner's lab if it is running and prepared for this lesson, else null (never starts one). */
  runningLab(learnerId: string, lessonId: string): Lab | null;
  publish(learnerId: string, event: ServerEvent): void;
}

/** Setup and solutions can pull images or wait for daemons on a slow VM. */
const scriptTimeoutMs = 180_000;

export class Course {
  private readonly byId: Map<string, Lesson>;
  private readonly last = new Map<string, CheckView>();
  /** Per learner+lesson: a check is running, and whether another was asked for meanwhile. */
  private readonly running = new Map<string, { again: boolean }>();
  private closed = false;

  constructor(private readonly o: CourseOptions) {
    this.byId = new Map(o.lessons.map((l) => [l.id, l]));
  }

  lesson(id: string): Lesson {
    const lesson = this.byId.get(id);
    if (!lesson) throw new HttpError(404, { zh: `没有这一课：${id}`, en: `no lesson "${id}"` });
    return lesson;
  }

  /** The lesson's text in `lang`: the English twin when asked for and present, else the Chinese. */
  private text(id: string, lang: Lang): Lesson {
    return (lang === 'en' ? this.o.english?.get(id) : undefined) ?? this.lesson(id);
  }

  summaries(learnerId: string, lang: Lang = 'zh'): LessonSummary[] {
    const passed = this.o.store.passedCounts(learnerId);
    return this.o.lessons.map((l) => ({
      id: l.id,
      title: this.text(l.id, lang).title,
      chapter: l.chapter,
      hosts: l.hosts,
      minutes: l.minutes,
      steps: l.steps.length,
      passed: passed.get(l.id) ?? 0,
    }));
  }

  view(learnerId: string, lessonId: string, lang: Lang = 'zh'): LessonView {
    const zh = this.lesson(lessonId);
    const text = this.text(lessonId, lang);
    // A twin whose steps do not line up is not used for the steps (the linter reports it).
    const l = text.steps.length === zh.steps.length ? text : { ...text, steps: zh.steps };
    return {
      id: l.id,
      title: l.title,
      chapter: l.chapter,
      hosts: Array.from({ length: zh.hosts }, (_, i) => `host${i + 1}`),
      minutes: l.minutes,
      intro: l.intro,
      summary: l.summary,
      steps: l.steps.map((s) => ({
        index: s.index,
        title: s.title,
        body: s.body,
        hintCount: s.hints.length,
      })),
      progress: this.progress(learnerId, lessonId, lang),
    };
  }

  progress(learnerId: string, lessonId: string, lang: Lang = 'zh'): ProgressView {
    const zh = this.lesson(lessonId);
    const text = this.text(lessonId, lang);
    const l = text.steps.length === zh.steps.length ? text : zh;
    const p = this.o.store.progress(learnerId, lessonId);
    return {
      currentStep: Math.min(p.currentStep, l.steps.length),
      steps: l.steps.map((s) => {
        const row = p.steps.get(s.index);
        return {
          passed: row?.passed ?? false,
          skipped: row?.skipped ?? false,
          hints: s.hints.slice(0, row?.hintsOpened ?? 0),
          solution: row?.solutionShown ? s.solution : null,
          last: this.last.get(key(learnerId, lessonId, s.index)) ?? null,
        };
      }),
    };
  }

  private step(lessonId: string, index: number) {
    const step = this.lesson(lessonId).steps[index];
    if (!step)
      throw new HttpError(404, { zh: `这一课没有第 ${index + 1} 步`, en: `lesson has no step ${index + 1}` });
    return step;
  }

  setCurrent(learnerId: string, lessonId: string, index: number): ProgressView {
    this.step(lessonId, index);
    this.o.store.setCurrentStep(learnerId, lessonId, index);
    return this.progress(learnerId, lessonId);
  }

  hint(learnerId: string, lessonId: string, index: number, lang: Lang = 'zh'): HintView {
    const step = this.step(lessonId, index);
    const open = this.o.store.openHint(learnerId, lessonId, index, step.hints.length);
    return { hints: this.progress(learnerId, lessonId, lang).steps[index]!.hints.slice(0, open) };
  }

  solution(learnerId: string, lessonId: string, index: number): SolutionView {
    const step = this.step(lessonId, index);
    this.o.store.markSolutionShown(learnerId, lessonId, index);
    return { solution: step.solution };
  }

  /** Runs the step's reference solution in the learner's lab and marks the step passed. */
  async skip(learnerId: string, lessonId: string, index: number): Promise<ProgressView> {
    const lesson = this.lesson(lessonId);
    const step = this.step(lessonId, index);
    const lab = await this.o.labFor(learnerId, lesson);
    for (const [host, script] of Object.entries(step.solution)) {
      const r = await lab.host(host).exec(script, { timeoutMs: scriptTimeoutMs });
      if (r.code !== 0) {
        log.warn('skip: solution failed', {
          lessonId,
          step: index,
          host,
          code: r.code,
          stderr: r.stderr.slice(-500),
        });
      }
    }
    this.o.store.markPassed(learnerId, lessonId, index, true);
    this.advance(learnerId, lessonId, index);
    const progress = this.progress(learnerId, lessonId);
    this.o.publish(learnerId, { type: 'check', result: this.skippedView(lessonId, index), progress });
    return progress;
  }

  private skippedView(lessonId: string, index: number): CheckView {
    return { lessonId, step: index, ok: true, conditions: [], elapsedMs: 0 };
  }

  /** Checks a step (default: the current one) now; starts the lab if it is not running. */
  async checkNow(learnerId: string, lessonId: string, index?: number): Promise<CheckView> {
    const lesson = this.lesson(lessonId);
    const step = index ?? this.o.store.progress(learnerId, lessonId).currentStep;
    this.step(lessonId, step);
    const lab = await this.o.labFor(learnerId, lesson);
    return this.run(learnerId, lessonId, step, lab);
  }

  /**
   * A command finished in one of the learner's shells: check the current step, unless one is
   * being checked already (then once more after it, so the last command's effect is seen).
   */
  commandFinished(learnerId: string, lessonId: string): void {
    const k = `${learnerId}\0${lessonId}`;
    const busy = this.running.get(k);
    if (busy) {
      busy.again = true;
      return;
    }
    const state = { again: false };
    this.running.set(k, state);
    const loop = async (): Promise<void> => {
      do {
        state.again = false;
        if (this.closed) break;
        const lab = this.o.runningLab(learnerId, lessonId);
        const lesson = this.byId.get(lessonId);
        if (!lab || !lesson) break;
        const current = this.o.store.progress(learnerId, lessonId).currentStep;
        if (current >= lesson.steps.length) break;
        await this.run(learnerId, lessonId, current, lab);
      } while (state.again);
    };
    loop()
      .catch((e: unknown) =>
        log.error('auto check failed', { learnerId, lessonId, error: (e as Error).message }),
      )
      .finally(() => this.running.delete(k));
  }

  private async run(learnerId: string, lessonId: string, index: number, lab: Lab): Promise<CheckView> {
    const step = this.step(lessonId, index);
    this.o.publish(learnerId, { type: 'checking', lessonId, step: index });
    let view: CheckView;
    try {
      const r = await this.o.evaluate(step.check, lab);
      view = {
        lessonId,
        step: index,
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
      log.error('check threw', { lessonId, step: index, error: msg });
      view = {
        lessonId,
        step: index,
        ok: false,
        conditions: [],
        elapsedMs: 0,
        error: { zh: `检查没能完成：${msg}`, en: `the check could not run: ${msg}` },
      };
    }
    if (this.closed) return view; // the store is closed: nothing to record
    this.last.set(key(learnerId, lessonId, index), view);
    if (view.ok) {
      this.o.store.markPassed(learnerId, lessonId, index);
      this.advance(learnerId, lessonId, index);
    }
    this.o.publish(learnerId, { type: 'check', result: view, progress: this.progress(learnerId, lessonId) });
    return view;
  }

  /** After step `index` passed: the current step becomes the next one not passed yet. */
  private advance(learnerId: string, lessonId: string, index: number): void {
    const l = this.lesson(lessonId);
    const p = this.o.store.progress(learnerId, lessonId);
    if (p.currentStep !== index) return;
    const open = (i: number) => !p.steps.get(i)?.passed;
    const order = [...l.steps.keys()]
      .filter((i) => i > index)
      .concat([...l.steps.keys()].filter((i) => i < index));
    const next = order.find(open) ?? l.steps.length;
    this.o.store.setCurrentStep(learnerId, lessonId, next);
  }

  /** Stops starting checks (the server is shutting down; the store is about to close). */
  close(): void {
    this.closed = true;
  }

  /** For the lab manager: setup, then (after a restart) the solutions of the steps already passed. */
  async prepare(
    learnerId: string,
    lab: Lab,
    lesson: Lesson,
    replay: boolean,
    say: (t: Text) => void,
  ): Promise<void> {
    say({ zh: '正在准备本课的实验环境…', en: 'Preparing the lesson’s environment…' });
    for (const [host, script] of Object.entries(lesson.setup)) {
      const r = await lab.host(host).exec(script, { timeoutMs: scriptTimeoutMs });
      if (r.code !== 0) throw new Error(`setup on ${host} exited ${r.code}: ${r.stderr.trim().slice(-300)}`);
    }
    if (!replay) return;
    const p = this.o.store.progress(learnerId, lesson.id);
    const passed = lesson.steps.filter((s) => p.steps.get(s.index)?.passed);
    for (const [n, step] of passed.entries()) {
      say({
        zh: `正在恢复你已完成的步骤（${n + 1}/${passed.length}）…`,
        en: `Restoring your finished steps (${n + 1}/${passed.length})…`,
      });
      for (const [host, script] of Object.entries(step.solution)) {
        await lab.host(host).exec(script, { timeoutMs: scriptTimeoutMs });
      }
    }
  }
}

function key(learnerId: string, lessonId: string, step: number): string {
  return `${learnerId}\0${lessonId}\0${step}`;
}
