/**
 * One learner's live state, in one place: their lab (started, queued, prepared, saved, resumed,
 * reset, replaced when it fails), a shell per host, the sockets of their open pages, the checks
 * running for them and the last result of each step. The manager (workspaces.ts) decides only who
 * may run a lab (the cap and the queue) and when an idle one stops; everything else is here.
 *
 * Health: a lab that reports a failure (`Lab.onFailure`: a VM powered off, crashed or stopped
 * answering), or whose shell on a host exits at once `maxQuickExits` times in a row, is dead. It
 * is marked failed, the learner is told in plain words, it is never saved, and while the learner
 * has the page open a new lab is made on which the lesson's setup and the solutions of the steps
 * already passed are run again (progress is kept: it lives in the store, not in the lab).
 */
import crypto from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Lab, LabFailure, LabOptions } from '../sandbox/api.ts';
import type { Lesson } from '../lessons/types.ts';
import {
  ClientCommand,
  encodeServerFrame,
  type CheckView,
  type LabStatus,
  type ProgressView,
  type ServerEvent,
  type SkipProgress,
  type Text,
} from '../protocol.ts';
import { HttpError, type Baseline, type Course, type Evaluate, type Snapshot } from './course.ts';
import type { FlowOptions } from './flow.ts';
import { TerminalSession } from './terminal.ts';
import { checkStep, prepareLab, solve } from './workspace-steps.ts';
import {
  failureNotice,
  laterNotice,
  newLessonNotice,
  resetNotice,
  stoppedReason,
  tooManyFailures,
  type Notice,
} from './workspace-text.ts';
import { logger } from '../log.ts';

const log = logger('workspace');

export interface LabProvider {
  start(options: LabOptions): Promise<Lab>;
  /**
   * The lab saved under `key` (by Lab.suspend) running again as it was, with the note it was saved
   * with; null if there is none (or it can no longer be resumed).
   */
  resume?(key: string, options: LabOptions): Promise<{ lab: Lab; note: string } | null>;
  /** Deletes what is saved under `key`, if anything (a reset must not bring it back). */
  forget?(key: string): Promise<void> | void;
}

/** The manager's side of the cap: a seat is the right to run one lab. */
export interface Seats {
  /** Resolves once this workspace holds a seat; meanwhile it is told its place in the queue. */
  take(w: Workspace): Promise<void>;
  give(w: Workspace): void;
  /** The learner left while queued: their place would block everyone behind them. */
  leaveQueue(w: Workspace): void;
}

export interface WorkspaceOptions {
  learnerId: string;
  course: Course;
  provider: LabProvider;
  evaluate: Evaluate;
  /** The lab's state when a step begins, kept as that step's check baseline; none: checks get none. */
  snapshot?: Snapshot;
  flow: FlowOptions;
  seats: Seats;
}

/** A shell that exits sooner than this after it started counts as a quick exit. */
const quickExitMs = 3000;
/** This many quick exits in a row on one host and the lab is taken for dead (not respawned). */
export const maxQuickExits = 3;
/** Labs replaced by themselves within `failureWindowMs`; past it the learner decides (reset). */
const maxReplacements = 2;
const failureWindowMs = 10 * 60_000;
/** Retry a start refused by the sandbox's own VM limit (other labs on the machine) after this long. */
const capacityRetryMs = 15_000;
/**
 * A check after a command that finds the step not done looks once more after this long before it
 * says ✗: what the command started may still be coming up (a server in a container, a daemon).
 */
export const settleMs = 3000;
/**
 * A lab that just became ready shows its shell first: the step's baseline and checkpoint (the VM
 * paused for a `savevm`) are taken once the shell's first prompt is out, before anyone can have typed, or
 * after this long if no prompt came, or at once when a check, a skip or a restart comes first.
 */
const firstPromptWaitMs = 3000;

interface Viewer {
  lessonId: string;
  host: string;
  cols: number;
  rows: number;
}

export class Workspace {
  readonly learnerId: string;
  /** The secret part of this learner's preview URLs (see preview.ts): 128 random bits. */
  readonly previewKey = crypto.randomBytes(16).toString('base64url');
  private statusNow: LabStatus = { state: 'idle' };
  private lab: Lab | null = null;
  private hosts = 0;
  /** The lesson the lab was last prepared for. */
  private lessonId: string | null = null;
  /** The lesson the learner last asked for (what a replacement lab is prepared for). */
  private wantedLesson: Lesson | null = null;
  /** Set while starting or preparing; everyone who needs the lab meanwhile waits on it. */
  private pending: Promise<Lab> | null = null;
  /** Set while the lab is being stopped (and saved): a start waits for it. */
  private stopping: Promise<void> | null = null;
  private seated = false;
  private unwatch: (() => void) | null = null;
  /** Why the current lab is of no further use; null while it is healthy. */
  private failure: LabFailure | null = null;
  /** When labs of this learner failed recently (to stop replacing a lab that keeps failing). */
  private failures: number[] = [];
  /** Labs kept failing: none is started again until the learner asks (reset). */
  private gaveUp: Text | null = null;
  /** Shown with the next statuses until a lab is ready: why this lab is new. */
  private notice: Notice | null = null;
  private readonly terminals = new Map<string, TerminalSession>();
  private readonly quickExits = new Map<string, number>();
  private readonly sockets = new Map<WebSocket, Viewer>();
  private readonly last = new Map<string, CheckView>();
  /** Per lesson: the state when its current step began on a lab (see stepBegins). */
  private readonly baselines = new Map<
    string,
    { labId: string; step: number; state: Promise<Baseline | undefined> }
  >();
  /** Per lesson: a check is running, and whether another was asked for meanwhile. */
  private readonly running = new Map<string, { again: boolean }>();
  /**
   * Per lesson: the step the learner last worked on (it was current when a command started in one
   * of their shells, or they pressed 检查 on it). Only such a step is shown ✗ (see CheckView.tentative).
   */
  private readonly workedOn = new Map<string, number>();
  /** Per lesson: when its current step became current (a step passed or skipped, chosen, rewound). */
  private readonly stepSince = new Map<string, number>();
  /** When the learner last pressed Enter in one of their terminals. */
  private lastEnter = 0;
  /** Commands started in this learner's shells so far (a settling check looks whether one began). */
  private commandsStarted = 0;
  /** Hosts whose shell runs a command now (OSC 133 C seen, its D not yet): the state is not settled. */
  private readonly busyShells = new Set<TerminalSession>();
  /**
   * The lab's checkpoint of the current step's start (one per lab, replaced as steps begin): what
   * "从头做这一步" goes back to. `taken` is false if taking it failed.
   */
  private stepCheckpoint: { labId: string; lessonId: string; step: number; taken: Promise<boolean> } | null =
    null;
  /** Skips running now: a restore must not happen under them (their commands would be cut off). */
  private skipping = 0;
  /** Shells ended on purpose (a step restarted): their exit is not a sign of a dead lab. */
  private readonly retired = new WeakSet<TerminalSession>();
  /** The step's beginning on a lab just made ready, waiting for the shell's first prompt. */
  private beginning: (() => void) | null = null;
  private lastActive = Date.now();
  private disposed = false;

  constructor(private readonly o: WorkspaceOptions) {
    this.learnerId = o.learnerId;
  }

  // -------------------------------------------------------------------------------------------
  // What others read

  get status(): LabStatus {
    return this.statusNow;
  }

  /** The running lab, if it is healthy (for the port preview). */
  get runningLab(): Lab | null {
    return this.failure ? null : this.lab;
  }

  get socketCount(): number {
    return this.sockets.size;
  }

  /** The last check result of a step since the server started (for progress views). */
  readonly lastCheck = (lessonId: string, step: number): CheckView | null =>
    this.last.get(`${lessonId}\0${step}`) ?? null;

  /** Milliseconds since the learner last did something, or null if there is no lab to reap. */
  idleFor(now: number): number | null {
    return this.lab && !this.pending && !this.stopping ? now - this.lastActive : null;
  }

  touch(): void {
    this.lastActive = Date.now();
  }

  setStatus(status: LabStatus): void {
    this.statusNow = status;
    this.publish({ type: 'lab', status });
  }

  private publish(event: ServerEvent): void {
    const frame = encodeServerFrame({ type: 'event', event });
    for (const ws of this.sockets.keys()) if (ws.readyState === ws.OPEN) ws.send(frame);
  }

  // -------------------------------------------------------------------------------------------
  // Sockets and shells

  /**
   * A page opened a terminal socket (already authenticated): it hears this learner's events from
   * now on, and shows `host`'s shell once the lab is ready for `lesson`.
   */
  connect(ws: WebSocket, lesson: Lesson, host: string, cols: number, rows: number): void {
    this.sockets.set(ws, { lessonId: lesson.id, host, cols, rows });
    ws.send(encodeServerFrame({ type: 'event', event: { type: 'lab', status: this.statusNow } }));
    ws.on('message', (raw: Buffer) => {
      this.touch();
      // Enter typed (or a line sent by 在终端运行): what runs next was asked for from now on.
      if (raw[0] === ClientCommand.input && raw.includes(0x0d)) this.lastEnter = Date.now();
    });
    ws.on('close', () => {
      this.sockets.delete(ws);
      if (this.sockets.size === 0) this.o.seats.leaveQueue(this);
    });
    if (this.gaveUp) return; // the page shows why, and a button that resets
    this.ensure(lesson)
      .then(
        () => this.attach(ws),
        (e: unknown) =>
          log.warn('lab not available', { learner: this.learnerId, error: (e as Error).message }),
      )
      .catch((e: unknown) => {
        // A shell that could not start: this socket ends, the server goes on.
        log.error('terminal failed', { learner: this.learnerId, error: (e as Error).message });
        ws.close(1011, 'terminal failed');
      });
  }

  /** Shows the socket its host's shell, starting one if there is none (or it exited). */
  private attach(ws: WebSocket): void {
    const v = this.sockets.get(ws);
    const lab = this.lab;
    if (!v || ws.readyState !== ws.OPEN || !lab || this.failure || v.lessonId !== this.lessonId) return;
    let term = this.terminals.get(v.host);
    if (!term || term.exited) {
      term?.dispose(null);
      term = this.spawn(lab, v.host, v.cols, v.rows);
    }
    if (!term.shows(ws)) term.attach(ws, v.cols, v.rows);
  }

  private spawn(lab: Lab, host: string, cols: number, rows: number): TerminalSession {
    const started = Date.now();
    // A check runs when a command ends (D) — but only after one started (C): the first prompt and
    // empty Enter presses print D too.
    let commandRan = false;
    const term: TerminalSession = new TerminalSession(lab.host(host).shellCommand(), {
      cols,
      rows,
      flow: this.o.flow,
      onMark: (m) => {
        // B: the prompt has been printed (A comes before it, and a checkpoint's pause there kept
        // the prompt itself in the guest for the 0.4 s of the `savevm`).
        if (m.kind === 'B') this.beginning?.();
        if (m.kind === 'C') {
          commandRan = true;
          this.busyShells.add(term);
          this.commandStarted();
        }
        if (m.kind === 'D' && commandRan) {
          commandRan = false;
          this.busyShells.delete(term);
          if (this.lessonId) this.commandFinished(this.lessonId);
        }
      },
      onExit: (code) => {
        // A shell that ended (disposed with its lab, too) runs nothing any more.
        this.busyShells.delete(term);
        if (this.terminals.get(host) === term) this.terminals.delete(host);
        // A shell of a lab that is gone (reset, replaced) ended because its lab did: not counted.
        if (lab === this.lab && !this.retired.has(term))
          this.shellExited(lab, host, code, Date.now() - started);
      },
    });
    this.terminals.set(host, term);
    return term;
  }

  /**
   * A learner's `exit` is normal, and the page opens a new shell. A shell that ends at once, again
   * and again, means the machine behind it is gone (after `poweroff` every new shell fails to
   * connect): respawning it would loop forever, so the lab is taken for dead instead.
   */
  private shellExited(lab: Lab, host: string, code: number, livedMs: number): void {
    const quick = livedMs < quickExitMs ? (this.quickExits.get(host) ?? 0) + 1 : 0;
    this.quickExits.set(host, quick);
    if (quick >= maxQuickExits) {
      this.fail(lab, {
        host,
        cause: 'unresponsive',
        detail: `the shell exited ${quick} times in a row within ${quickExitMs} ms of starting (last code ${code})`,
      });
    }
  }

  // -------------------------------------------------------------------------------------------
  // The lab

  /** The learner's lab, ready for `lesson`: starts, queues or re-prepares as needed. */
  async ensure(lesson: Lesson, fresh = false): Promise<Lab> {
    this.touch();
    this.wantedLesson = lesson;
    await this.settled();
    if (this.disposed) throw new Error('the server is shutting down');
    if (this.gaveUp && !fresh) throw new HttpError(409, this.gaveUp);
    if (this.lab && !this.failure && this.hosts === lesson.hosts && this.lessonId === lesson.id)
      return this.lab;
    this.pending = this.bringUp(lesson, fresh);
    try {
      return await this.pending;
    } finally {
      this.pending = null;
    }
  }

  /** Waits until no start, preparation or stop is under way. */
  private async settled(): Promise<void> {
    while (this.pending || this.stopping) {
      await this.stopping;
      try {
        await this.pending;
      } catch {
        // the earlier attempt failed; the caller decides what to do next
      }
    }
  }

  private async bringUp(lesson: Lesson, fresh: boolean): Promise<Lab> {
    // Another lesson (each lesson starts on a clean machine), another number of hosts, or a dead
    // lab: this one goes (unsaved); seat and pages stay. A lab not yet prepared for any lesson stays.
    const otherLesson = this.lessonId !== null && this.lessonId !== lesson.id;
    if (this.lab && (otherLesson || this.hosts !== lesson.hosts || this.failure)) {
      if (otherLesson && !this.failure) this.notice = newLessonNotice;
      await this.end(null, false, true);
    }
    let replay = false;
    let resumed = false;
    if (!this.lab) {
      if (!this.seated) {
        await this.o.seats.take(this);
        this.seated = true;
      }
      try {
        const saved = fresh ? null : await this.resumeSaved(lesson);
        this.adopt(saved?.lab ?? (await this.startWithRetry(lesson)), lesson.hosts);
        this.lessonId = saved?.note ?? null;
        replay = !saved;
        resumed = !!saved;
      } catch (e) {
        this.giveSeat();
        const msg = (e as Error).message;
        this.setStatus({
          state: 'failed',
          reason: { zh: `实验机器启动失败：${msg}`, en: `the lab failed to start: ${msg}` },
        });
        throw e;
      }
    }
    const lab = this.lab!;
    let problem: Text | null = null;
    try {
      // A resumed lab that was saved in this lesson is already as the learner left it.
      if (this.lessonId !== lesson.id) problem = await this.prepare(lab, lesson, replay);
    } catch (e) {
      const msg = (e as Error).message;
      // A lab that failed meanwhile has said so already, and is being replaced.
      if (lab === this.lab && !this.failure)
        this.setStatus({
          state: 'failed',
          reason: { zh: `准备本课环境时出错：${msg}`, en: `preparing the lesson failed: ${msg}` },
        });
      throw e;
    }
    if (lab !== this.lab || this.failure) throw new Error('the lab failed while it was being prepared');
    this.lessonId = lesson.id;
    // A lab resumed as the learner left it may be half-way through the step: its state now is no
    // step start, so "从头做这一步" has nothing to go back to until the next step begins.
    if (resumed) {
      const step = this.o.course.currentStep(this.learnerId, lesson.id);
      this.stepCheckpoint = { labId: lab.id, lessonId: lesson.id, step, taken: Promise.resolve(false) };
    }
    const notice = joinNotices(this.notice?.after ?? null, problem);
    this.notice = null;
    this.setStatus({
      state: 'ready',
      labId: lab.id,
      preview: `/preview/${this.previewKey}/`,
      ...(notice ? { notice } : {}),
    });
    for (const ws of this.sockets.keys()) this.attach(ws);
    this.beginAtPrompt(lesson.id, lab);
    return lab;
  }

  /** Makes `lab` this workspace's, watching its health. */
  private adopt(lab: Lab, hosts: number): void {
    this.lab = lab;
    this.hosts = hosts;
    this.failure = null;
    this.quickExits.clear();
    this.unwatch = lab.onFailure?.((f) => this.fail(lab, f)) ?? null;
  }

  /** The learner's saved lab, resumed, if there is one with the hosts this lesson needs. */
  private async resumeSaved(lesson: Lesson): Promise<{ lab: Lab; note: string } | null> {
    const resume = this.o.provider.resume;
    if (!resume) return null;
    let saved;
    try {
      saved = await this.withRoom({ zh: '正在恢复你的实验机器…', en: 'Resuming your lab machine…' }, () =>
        resume(this.learnerId, this.labOptions(lesson)),
      );
    } catch (e) {
      log.warn('resuming a saved lab failed; starting a new one', {
        learner: this.learnerId,
        error: (e as Error).message,
      });
      return null;
    }
    if (saved && (saved.lab.hosts.length !== lesson.hosts || saved.note !== lesson.id)) {
      // Saved in another lesson: this one starts on a clean machine (the finished steps redone).
      await saved.lab.down();
      return null;
    }
    return saved;
  }

  private startWithRetry(lesson: Lesson): Promise<Lab> {
    // Said the same for a first lab and a replacement (after a failure, a reset, another lesson):
    // "the first time" was wrong for all but one of them.
    const detail = {
      zh: '正在启动你的实验机器…（大约需要 10–60 秒）',
      en: 'Starting your lab machine… (about 10–60 s)',
    };
    return this.withRoom(detail, () => this.o.provider.start(this.labOptions(lesson)));
  }

  /** Runs `start`, and again while the sandbox refuses for lack of room (showing the queue). */
  private async withRoom<T>(detail: Text, start: () => Promise<T>): Promise<T> {
    for (;;) {
      this.starting(detail);
      try {
        return await start();
      } catch (e) {
        // The sandbox counts every VM on the machine (CLI labs too): wait for room, as in our queue.
        if ((e as Error).constructor.name !== 'LabCapacityError') throw e;
        this.setStatus({ state: 'queued', position: 1 });
        await new Promise((r) => setTimeout(r, capacityRetryMs));
      }
    }
  }

  private starting(detail: Text): void {
    this.setStatus({ state: 'starting', detail, ...(this.notice ? { notice: this.notice.meanwhile } : {}) });
  }

  private labOptions(lesson: Lesson): LabOptions {
    return { hosts: lesson.hosts, ownerPid: process.pid, label: `web:${this.learnerId.slice(0, 6)}` };
  }

  /**
   * Brings a lab to the lesson's state: its setup (which must succeed), then on a new lab the
   * solutions of the steps already passed. A solution that fails does not stop the others; it is
   * returned, to be shown to the learner.
   */
  private async prepare(lab: Lab, lesson: Lesson, replay: boolean): Promise<Text | null> {
    const passed = replay ? this.o.course.passedSteps(this.learnerId, lesson) : [];
    const problems = await prepareLab(lab, lesson, passed, (detail) => this.starting(detail));
    for (const p of problems)
      log.warn('replay: solution failed', { learner: this.learnerId, lesson: lesson.id, ...p.log });
    return joinNotices(...problems.map((p) => p.text));
  }

  /**
   * The lab is dead. Never saved; its shells end (the sockets stay: they carry what happens next).
   * While the learner is here, a new lab takes its place, unless labs keep failing.
   */
  private fail(lab: Lab, f: LabFailure): void {
    if (lab !== this.lab || this.failure || this.disposed) return;
    this.failure = f;
    log.warn('lab failed', { learner: this.learnerId, lab: lab.id, ...f });
    const now = Date.now();
    this.failures = [...this.failures.filter((t) => now - t < failureWindowMs), now];
    const here = this.sockets.size > 0;
    const tooMany = this.failures.length > maxReplacements;
    if (!here || tooMany || !this.wantedLesson) {
      const reason = tooMany ? tooManyFailures(f, this.failures.length) : laterNotice(f);
      if (here && tooMany) this.gaveUp = reason;
      this.setStatus({ state: 'failed', reason });
      void this.end(null, false);
      return;
    }
    this.setStatus({ state: 'failed', reason: failureNotice(f).meanwhile });
    this.notice = failureNotice(f);
    void this.ensure(this.wantedLesson!, true).catch((e: unknown) =>
      log.error('replacing a failed lab failed', { learner: this.learnerId, error: (e as Error).message }),
    );
  }

  /**
   * "重置实验机器": the learner's lab is thrown away (never saved) and a new one made for `lesson`,
   * with the finished steps redone. Progress is kept. Open pages stay connected.
   */
  async reset(lesson: Lesson): Promise<LabStatus> {
    this.wantedLesson = lesson;
    await this.settled();
    log.info('lab reset by the learner', { learner: this.learnerId, lab: this.lab?.id });
    this.notice = resetNotice;
    const stop = this.end(null, false, true);
    this.stopping = stop;
    try {
      await stop;
    } finally {
      this.stopping = null;
    }
    await this.o.provider.forget?.(this.learnerId);
    this.failures = [];
    this.gaveUp = null;
    await this.ensure(lesson, true);
    return this.statusNow;
  }

  /**
   * Stops the lab and its shells; with `save`, saves the lab first where the provider can.
   * `reason` null: a silent stop (switching host count, shutting down).
   */
  async stop(reason: Text | null, save = false): Promise<void> {
    while (this.stopping) await this.stopping;
    this.stopping = this.end(reason, save);
    try {
      await this.stopping;
    } finally {
      this.stopping = null;
    }
  }

  /**
   * `keep`: a new lab follows at once (a reset, a replacement, another host count), so the seat
   * is kept and the pages stay connected; their shells are made again on the new lab.
   */
  private async end(reason: Text | null, save: boolean, keep = false): Promise<void> {
    const lab = this.lab;
    const lessonId = this.lessonId;
    const saving = save && !this.failure && lab?.suspend !== undefined && lessonId !== null;
    // Tell the page first: disposing the shells closes its sockets (its only line to us), so this
    // is the last it hears. A failed save shows later, as a restart that redoes the finished steps.
    if (reason) this.setStatus({ state: 'stopped', reason: stoppedReason(reason, saving) });
    for (const t of this.terminals.values()) t.dispose(keep ? null : undefined);
    this.terminals.clear();
    this.unwatch?.();
    this.unwatch = null;
    this.lab = null;
    this.lessonId = null;
    this.failure = null;
    if (lab) {
      try {
        if (saving) {
          const started = Date.now();
          await lab.suspend!(this.learnerId, lessonId!);
          log.info('lab saved', { learner: this.learnerId, lab: lab.id, ms: Date.now() - started });
        } else {
          await lab.down();
        }
      } catch (e) {
        log.warn(saving ? 'saving the lab failed' : 'lab down failed', {
          lab: lab.id,
          error: (e as Error).message,
        });
        await lab.down().catch(() => undefined);
      }
    }
    if (!keep) this.giveSeat();
  }

  private giveSeat(): void {
    if (!this.seated) return;
    this.seated = false;
    this.o.seats.give(this);
  }

  // -------------------------------------------------------------------------------------------
  // Checks

  /** Checks a step (default: the current one) now; starts the lab if it is not running. */
  async check(lessonId: string, index?: number): Promise<CheckView> {
    const lesson = this.o.course.lesson(lessonId);
    const step = index ?? this.o.course.currentStep(this.learnerId, lessonId);
    this.o.course.step(lessonId, step);
    // Asked for (检查): the learner wants a verdict on this step, now.
    this.workedOn.set(lessonId, step);
    const lab = await this.ensure(lesson);
    return this.run(lessonId, step, lab, 'asked');
  }

  /** A command started in one of the learner's shells: it is work on the lesson's current step. */
  private commandStarted(): void {
    this.commandsStarted++;
    const lessonId = this.lessonId;
    // A line typed ahead before the step became current (the rest of a pasted solution) is not
    // work on it: only one entered since.
    if (lessonId && this.lastEnter >= (this.stepSince.get(lessonId) ?? 0))
      this.workedOn.set(lessonId, this.o.course.currentStep(this.learnerId, lessonId));
  }

  /**
   * Runs the step's reference solution in the learner's lab, as if typed, and marks the step
   * passed (skipped). A solution that fails leaves the step as it was and says why.
   */
  async skip(lessonId: string, index: number): Promise<ProgressView> {
    const lesson = this.o.course.lesson(lessonId);
    const step = this.o.course.step(lessonId, index);
    const lab = await this.ensure(lesson);
    this.beginning?.(); // a skip before the first prompt: the step begins before its solution runs
    const started = Date.now();
    const say = (progress: SkipProgress) => this.publish({ type: 'skip', lessonId, step: index, progress });
    say({ phase: 'start', scripts: step.solution });
    this.skipping++;
    const problem = await solve(lab, step, {
      onStart: (host) => say({ phase: 'host', host }),
      onOutput: (host, _stream, text) => say({ phase: 'output', host, text }),
    }).finally(() => this.skipping--);
    if (problem) {
      log.warn('skip: solution failed', { learner: this.learnerId, lessonId, ...problem.log });
      const error = {
        zh: `参考答案在你的实验机器上没能执行成功，这一步没有标记为完成：${problem.why.zh}`,
        en: `The reference solution failed on your lab, so the step was not marked done: ${problem.why.en}`,
      };
      say({ phase: 'end', ok: false, elapsedMs: Date.now() - started, error });
      throw new HttpError(409, error);
    }
    say({ phase: 'end', ok: true, elapsedMs: Date.now() - started });
    this.publish({ type: 'command', lessonId, step: index });
    this.o.course.recordPass(this.learnerId, lessonId, index, true);
    this.stepBegins(lessonId, lab);
    // The step's old result (✗ lines from before) is replaced: what stands now is the skip.
    const result: CheckView = { lessonId, step: index, ok: true, conditions: [], elapsedMs: 0 };
    this.last.set(`${lessonId}\0${index}`, result);
    const progress = this.progress(lessonId);
    this.publish({ type: 'check', result, progress });
    return progress;
  }

  progress(lessonId: string): ProgressView {
    return this.o.course.progress(this.learnerId, lessonId, 'zh', this.lastCheck);
  }

  /**
   * A command finished in one of the learner's shells: check the current step, unless one is
   * being checked already (then once more after it, so the last command's effect is seen).
   */
  commandFinished(lessonId: string): void {
    const step = this.o.course.currentStep(this.learnerId, lessonId);
    this.publish({ type: 'command', lessonId, step });
    const busy = this.running.get(lessonId);
    if (busy) {
      busy.again = true;
      return;
    }
    const state = { again: false };
    this.running.set(lessonId, state);
    const loop = async (): Promise<void> => {
      do {
        state.again = false;
        const lab = this.lessonId === lessonId ? this.runningLab : null;
        if (this.disposed || !lab) break;
        const lesson = this.o.course.lesson(lessonId);
        const current = this.o.course.currentStep(this.learnerId, lessonId);
        if (current >= lesson.steps.length) break;
        await this.run(lessonId, current, lab, 'auto');
      } while (state.again);
    };
    loop()
      .catch((e: unknown) =>
        log.error('auto check failed', { learner: this.learnerId, lessonId, error: (e as Error).message }),
      )
      .finally(() => this.running.delete(lessonId));
  }

  /**
   * Checks step `index` and tells the pages. `asked` (检查): the verdict as it is. `auto` (a command
   * ended): a step the learner has not worked on since it became current is never ✗, only
   * 还没检测到 (tentative); one they have is looked at once more after `settleMs` before it is ✗,
   * unless they start another command meanwhile (that command's end checks again).
   */
  private async run(lessonId: string, index: number, lab: Lab, how: 'asked' | 'auto'): Promise<CheckView> {
    const step = this.o.course.step(lessonId, index);
    this.publish({ type: 'checking', lessonId, step: index });
    this.beginning?.(); // a check before the first prompt: the step begins now
    const baseline = await this.baselineOf(lessonId, index, lab);
    // Settled: no command runs in any shell, and none started since this check began (its end
    // checks again). Typed-ahead lines start the moment the one before ends.
    const started = this.commandsStarted;
    const quiet = () => started === this.commandsStarted && this.busyShells.size === 0;
    let view = await checkStep(this.o.evaluate, lessonId, step, lab, baseline);
    if (how === 'auto' && !view.ok) {
      const worked = this.workedOn.get(lessonId) === index;
      if (worked && quiet()) await new Promise((r) => setTimeout(r, settleMs));
      if (worked && quiet() && lab === this.runningLab && !this.disposed)
        view = await checkStep(this.o.evaluate, lessonId, step, lab, baseline);
      if (!view.ok && !(worked && quiet())) view = { ...view, tentative: true };
    }
    if (this.disposed) return view; // the store is closing: nothing to record
    this.last.set(`${lessonId}\0${index}`, view);
    if (view.ok) {
      this.o.course.recordPass(this.learnerId, lessonId, index);
      this.stepBegins(lessonId, lab);
    }
    this.publish({ type: 'check', result: view, progress: this.progress(lessonId) });
    return view;
  }

  /**
   * The lesson's current step has just begun on `lab` (the lab became ready, a step passed, or the
   * learner chose a step): its state now is that step's baseline, so a check can tell a container
   * renamed from one removed, or recreated from restarted. Taken once per step and lab, in the
   * background; the first check of the step waits for it.
   */
  stepBegins(lessonId: string, lab: Lab | null = this.lessonId === lessonId ? this.runningLab : null): void {
    this.stepSince.set(lessonId, Date.now());
    if (!lab) return;
    const step = this.o.course.currentStep(this.learnerId, lessonId);
    this.checkpointStep(lessonId, step, lab);
    const snapshot = this.o.snapshot;
    if (!snapshot) return;
    const had = this.baselines.get(lessonId);
    if (had && had.labId === lab.id && had.step === step) return;
    const state = snapshot(lab).catch((e: unknown) => {
      log.warn('step baseline not taken', {
        learner: this.learnerId,
        lessonId,
        step,
        error: (e as Error).message,
      });
      return undefined;
    });
    this.baselines.set(lessonId, { labId: lab.id, step, state });
  }

  /**
   * The step begins on a lab just made ready: at its shell's first prompt when a shell is starting
   * (firstPromptWaitMs), else now.
   */
  private beginAtPrompt(lessonId: string, lab: Lab): void {
    this.beginning?.();
    if (this.terminals.size === 0) return this.stepBegins(lessonId, lab);
    const begin = () => {
      if (this.beginning !== begin) return;
      this.beginning = null;
      clearTimeout(timer);
      if (lab === this.lab && this.lessonId === lessonId) this.stepBegins(lessonId, lab);
    };
    const timer = setTimeout(begin, firstPromptWaitMs);
    timer.unref?.();
    this.beginning = begin;
  }

  /**
   * Takes the lab's checkpoint of step `step`'s start (in the background, after the one before),
   * replacing the last: "从头做这一步" comes back to it. Labs without checkpoints get none.
   */
  private checkpointStep(lessonId: string, step: number, lab: Lab): void {
    const had = this.stepCheckpoint;
    if (!lab.checkpoint || step >= this.o.course.lesson(lessonId).steps.length) return;
    if (had && had.labId === lab.id && had.lessonId === lessonId && had.step === step) return;
    const before = had?.labId === lab.id ? had.taken : Promise.resolve(true);
    const taken = before.then(() => {
      const started = Date.now();
      return lab.checkpoint!(stepCheckpointName).then(
        () => {
          log.info('step checkpoint taken', {
            learner: this.learnerId,
            lessonId,
            step,
            ms: Date.now() - started,
          });
          return true;
        },
        (e: unknown) => {
          log.warn('step checkpoint not taken', {
            learner: this.learnerId,
            lessonId,
            step,
            error: (e as Error).message,
          });
          return false;
        },
      );
    });
    this.stepCheckpoint = { labId: lab.id, lessonId, step, taken };
  }

  /**
   * "从头做这一步": the lab goes back to its checkpoint of the current step's start. Its shells end
   * first (nothing may run across a restore) and new ones open after; checks of the lesson wait.
   */
  async restartStep(lessonId: string, index: number): Promise<ProgressView> {
    const lesson = this.o.course.lesson(lessonId);
    this.o.course.step(lessonId, index);
    const lab = await this.ensure(lesson);
    this.beginning?.(); // before the first prompt: the step's checkpoint is taken now
    const cp = this.stepCheckpoint;
    const current = this.o.course.currentStep(this.learnerId, lessonId);
    if (index !== current)
      throw new HttpError(409, {
        zh: `只能从头做你正在做的这一步（第 ${current + 1} 步）。`,
        en: `Only the step you are on (step ${current + 1}) can be started again.`,
      });
    if (
      !lab.restore ||
      !cp ||
      cp.labId !== lab.id ||
      cp.lessonId !== lessonId ||
      cp.step !== index ||
      !(await cp.taken)
    )
      throw new HttpError(409, {
        zh: '这台实验机器没有这一步开始时的存档（可能是机器换过或恢复过），没法只退回这一步。可以用“重置实验机器”换一台新的，已完成的步骤会重新执行。',
        en: 'This lab has no save of how it was when this step began (it may have been replaced or resumed since), so the step cannot be rewound alone. “Reset my lab” gives you a new one with your finished steps redone.',
      });
    if (this.skipping > 0)
      throw new HttpError(409, {
        zh: '参考答案正在替你运行，等它运行完再从头做这一步。',
        en: 'A reference solution is running for you: start the step again once it has finished.',
      });
    const ready = this.statusNow;
    this.pending = this.rewind(lab, lessonId, index);
    try {
      await this.pending;
    } catch (e) {
      // The restore failed: the lab goes on as it was, with new shells (the old ones are gone).
      if (lab === this.lab && !this.failure) {
        this.setStatus(ready);
        for (const ws of this.sockets.keys()) this.attach(ws);
      }
      throw e;
    } finally {
      this.pending = null;
    }
    return this.progress(lessonId);
  }

  private async rewind(lab: Lab, lessonId: string, index: number): Promise<Lab> {
    this.starting({
      zh: `正在把实验机器恢复到第 ${index + 1} 步开始时的样子…`,
      en: `Taking your lab back to how it was when step ${index + 1} began…`,
    });
    for (const t of this.terminals.values()) {
      this.retired.add(t);
      t.dispose(null);
    }
    this.terminals.clear();
    // Nothing may run across the restore: checks finish first, and the step's baseline is taken.
    while (this.running.has(lessonId)) await new Promise((r) => setTimeout(r, 100));
    await this.baselines.get(lessonId)?.state;
    const started = Date.now();
    await lab.restore!(stepCheckpointName);
    log.info('step restarted', { learner: this.learnerId, lessonId, step: index, ms: Date.now() - started });
    this.last.delete(`${lessonId}\0${index}`);
    this.workedOn.delete(lessonId);
    this.stepSince.set(lessonId, Date.now());
    this.quickExits.clear();
    this.setStatus({ state: 'ready', labId: lab.id, preview: `/preview/${this.previewKey}/` });
    for (const ws of this.sockets.keys()) this.attach(ws);
    return lab;
  }

  /** The baseline of step `index` on `lab`, if it was taken (a lab resumed after a restart has none). */
  private async baselineOf(lessonId: string, index: number, lab: Lab): Promise<Baseline | undefined> {
    const b = this.baselines.get(lessonId);
    return b && b.labId === lab.id && b.step === index ? await b.state : undefined;
  }

  // -------------------------------------------------------------------------------------------

  /** Stops starting checks and labs (the server is shutting down). */
  close(): void {
    this.disposed = true;
  }

  /** Ends the lab (saving it with `save`), its shells and sockets; safe to call twice. */
  async dispose(save = false): Promise<void> {
    this.disposed = true;
    await this.stop(null, save);
    for (const ws of this.sockets.keys()) ws.terminate();
    this.sockets.clear();
  }
}

/** The one checkpoint a web lab keeps: the current step's start. */
const stepCheckpointName = 'dl-step';

function joinNotices(...notices: (Text | null)[]): Text | null {
  const present = notices.filter((n): n is Text => n !== null);
  if (present.length === 0) return null;
  return { zh: present.map((n) => n.zh).join('\n'), en: present.map((n) => n.en).join('\n') };
}
