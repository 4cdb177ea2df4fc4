/**
 * The course as one learner sees it, from the lessons and the progress store: lesson views with
 * their progress, hints one at a time, the reference solution on request, and recording a passed
 * step. It holds no live state: labs, shells, sockets and running checks are each learner's
 * Workspace's (workspace.ts), which calls in here for the lessons and the progress.
 */
import type { Lab } from '../sandbox/api.ts';
import type { StepResult } from '../checks/types.ts';
import type { HostState } from '../inspect/types.ts';
import type { Condition, Lesson, Step } from '../lessons/types.ts';
import type { BrokenLesson } from '../lessons/load.ts';
import { formatProblem } from '../lessons/problem.ts';
import type {
  CheckView,
  HintView,
  LessonSummary,
  LessonView,
  ProgressView,
  SolutionView,
  Text,
} from '../protocol.ts';
import type { Store } from './store.ts';

export type Lang = 'zh' | 'en';

/** The last check result of a step (kept by the learner's workspace), for the progress view. */
export type LastCheck = (lessonId: string, step: number) => CheckView | null;

/** The hosts' snapshots when a step began: how a check tells renamed from removed, recreated from restarted. */
export type Baseline = Record<string, HostState>;

export type Evaluate = (conditions: Condition[], lab: Lab, baseline?: Baseline) => Promise<StepResult>;

/** Takes the lab's state (the inspector's snapshot of every host), for a step's baseline. */
export type Snapshot = (lab: Lab) => Promise<Baseline>;

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
  /** Lesson files that did not load: listed, and their problems shown to whoever opens them. */
  broken?: BrokenLesson[];
  /** English twins (`NN-slug.en.md`) by lesson id: shown when the page asks for English. */
  english?: Map<string, Lesson>;
  store: Store;
}

export class Course {
  private readonly byId: Map<string, Lesson>;

  constructor(private readonly o: CourseOptions) {
    this.byId = new Map(o.lessons.map((l) => [l.id, l]));
  }

  lesson(id: string): Lesson {
    const lesson = this.byId.get(id);
    if (lesson) return lesson;
    const broken = this.o.broken?.find((b) => b.id === id);
    if (broken) throw new HttpError(503, brokenText(broken));
    throw new HttpError(404, { zh: `没有这一课：${id}`, en: `no lesson "${id}"` });
  }

  /** The lesson's text in `lang`: the English twin when asked for and present, else the Chinese. */
  private text(id: string, lang: Lang): Lesson {
    return (lang === 'en' ? this.o.english?.get(id) : undefined) ?? this.lesson(id);
  }

  summaries(learnerId: string, lang: Lang = 'zh'): LessonSummary[] {
    const passed = this.o.store.passedCounts(learnerId);
    const lessons: LessonSummary[] = this.o.lessons.map((l) => ({
      id: l.id,
      title: this.title(l.id, lang),
      chapter: l.chapter,
      hosts: l.hosts,
      minutes: l.minutes,
      steps: l.steps.length,
      passed: passed.get(l.id) ?? 0,
      skipped: passed.has(l.id) ? this.skippedCount(learnerId, l.id) : 0,
    }));
    const broken: LessonSummary[] = (this.o.broken ?? []).map((b) => ({
      id: b.id,
      title: b.id,
      chapter: b.chapter,
      hosts: 1,
      minutes: 0,
      steps: 0,
      passed: 0,
      skipped: 0,
      broken: brokenText(b),
    }));
    return [...lessons, ...broken].sort((a, b) => a.chapter - b.chapter);
  }

  /** How many of the lesson's steps were skipped (passed by running their solution). */
  private skippedCount(learnerId: string, lessonId: string): number {
    let n = 0;
    for (const row of this.o.store.progress(learnerId, lessonId).steps.values())
      if (row.passed && row.skipped) n++;
    return n;
  }

  /** The title in `lang`: the English twin's, else the lesson's `title_en`, else the Chinese. */
  private title(id: string, lang: Lang): string {
    const text = this.text(id, lang);
    return lang === 'en' && text === this.lesson(id) ? (text.titleEn ?? text.title) : text.title;
  }

  view(learnerId: string, lessonId: string, lang: Lang = 'zh', last?: LastCheck): LessonView {
    const zh = this.lesson(lessonId);
    const text = this.text(lessonId, lang);
    // A twin whose steps do not line up is not used for the steps (the linter reports it).
    const l = text.steps.length === zh.steps.length ? text : { ...text, steps: zh.steps };
    return {
      id: l.id,
      title: this.title(lessonId, lang),
      textLang: text === zh ? 'zh' : 'en',
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
      progress: this.progress(learnerId, lessonId, lang, last),
    };
  }

  progress(learnerId: string, lessonId: string, lang: Lang = 'zh', last?: LastCheck): ProgressView {
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
          last: last?.(lessonId, s.index) ?? null,
        };
      }),
    };
  }

  step(lessonId: string, index: number): Step {
    const step = this.lesson(lessonId).steps[index];
    if (!step)
      throw new HttpError(404, { zh: `这一课没有第 ${index + 1} 步`, en: `lesson has no step ${index + 1}` });
    return step;
  }

  setCurrent(learnerId: string, lessonId: string, index: number, last?: LastCheck): ProgressView {
    this.step(lessonId, index);
    this.o.store.setCurrentStep(learnerId, lessonId, index);
    return this.progress(learnerId, lessonId, 'zh', last);
  }

  /** The step the learner is on (may be `steps.length`: the lesson is done). */
  currentStep(learnerId: string, lessonId: string): number {
    return this.o.store.progress(learnerId, lessonId).currentStep;
  }

  /** The steps of the lesson the learner has passed (or skipped), in order. */
  passedSteps(learnerId: string, lesson: Lesson): Step[] {
    const p = this.o.store.progress(learnerId, lesson.id);
    return lesson.steps.filter((s) => p.steps.get(s.index)?.passed);
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

  /** Records step `index` as passed (by a check, or `skipped` by running its solution). */
  recordPass(learnerId: string, lessonId: string, index: number, skipped = false): void {
    this.o.store.markPassed(learnerId, lessonId, index, skipped);
    this.advance(learnerId, lessonId, index);
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
}

/** What a learner (or the instructor) reads when opening a lesson whose file has mistakes. */
function brokenText(b: BrokenLesson): Text {
  const lines = b.problems.map(formatProblem).join('\n');
  return {
    zh: `这一课的文件有错误，暂时打不开。请告诉老师，或按下面的提示改正：\n${lines}`,
    en: `This lesson's file has mistakes, so it cannot be opened. Tell the instructor, or fix it as below:\n${lines}`,
  };
}
