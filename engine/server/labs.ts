/**
 * Each learner's lab: started on first need, at most `maxLabs` at once (the rest wait in a queue
 * and are told their place), stopped after `idleMs` without activity, and restarted on demand.
 * Where the provider can, a stopped lab is saved whole and later resumed exactly as it was (files,
 * containers, shells' history aside). Otherwise a new lab is prepared for the learner's lesson: its
 * setup, then the reference solutions of the steps already passed, so the learner finds the
 * machine much as they left it.
 */
import type { Lab, LabOptions } from '../sandbox/api.ts';
import type { Lesson } from '../lessons/types.ts';
import type { LabStatus, Text } from '../protocol.ts';
import type { TerminalSession } from './terminal.ts';
import { logger } from '../log.ts';

const log = logger('labs');

export interface LabProvider {
  start(options: LabOptions): Promise<Lab>;
  /**
   * The lab saved under `key` (by Lab.suspend) running again as it was, with the note it was saved
   * with; null if there is none (or it can no longer be resumed).
   */
  resume?(key: string, options: LabOptions): Promise<{ lab: Lab; note: string } | null>;
}

export interface LabManagerOptions {
  provider: LabProvider;
  maxLabs: number;
  idleMs: number;
  onStatus(learnerId: string, status: LabStatus): void;
  /** Brings a lab to the lesson's state: setup, then passed steps if `replay` (a new lab). */
  prepare(
    learnerId: string,
    lab: Lab,
    lesson: Lesson,
    replay: boolean,
    say: (t: Text) => void,
  ): Promise<void>;
}

interface Slot {
  learnerId: string;
  status: LabStatus;
  lab: Lab | null;
  hosts: number;
  /** The lesson the lab was last prepared for. */
  lessonId: string | null;
  /** Set while starting or preparing; everyone who needs the lab meanwhile waits on it. */
  pending: Promise<Lab> | null;
  /** Set while the lab is being stopped (and saved): a start waits for it. */
  stopping: Promise<void> | null;
  terminals: Map<string, TerminalSession>;
  lastActive: number;
}

/** Retry a start refused by the sandbox's own VM limit (other labs on the machine) after this long. */
const capacityRetryMs = 15_000;

export class LabManager {
  private readonly slots = new Map<string, Slot>();
  private readonly active = new Set<string>();
  private waiting: { learnerId: string; resolve: () => void }[] = [];
  private readonly idleTimer: NodeJS.Timeout;

  constructor(private readonly o: LabManagerOptions) {
    // Checking every tenth of the idle time keeps the overshoot small without busy polling.
    this.idleTimer = setInterval(() => void this.reapIdle(), Math.max(1000, Math.min(60_000, o.idleMs / 10)));
    this.idleTimer.unref();
  }

  private slot(learnerId: string): Slot {
    let s = this.slots.get(learnerId);
    if (!s) {
      s = {
        learnerId,
        status: { state: 'idle' },
        lab: null,
        hosts: 0,
        lessonId: null,
        pending: null,
        stopping: null,
        terminals: new Map(),
        lastActive: Date.now(),
      };
      this.slots.set(learnerId, s);
    }
    return s;
  }

  status(learnerId: string): LabStatus {
    return this.slots.get(learnerId)?.status ?? { state: 'idle' };
  }

  lab(learnerId: string): Lab | null {
    return this.slots.get(learnerId)?.lab ?? null;
  }

  /** The lesson the learner's lab is prepared for. */
  lessonOf(learnerId: string): string | null {
    return this.slots.get(learnerId)?.lessonId ?? null;
  }

  touch(learnerId: string): void {
    const s = this.slots.get(learnerId);
    if (s) s.lastActive = Date.now();
  }

  private setStatus(s: Slot, status: LabStatus): void {
    s.status = status;
    this.o.onStatus(s.learnerId, status);
  }

  /** The learner's lab, ready for `lesson`: starts, queues or re-prepares as needed. */
  async ensure(learnerId: string, lesson: Lesson): Promise<Lab> {
    const s = this.slot(learnerId);
    s.lastActive = Date.now();
    while (s.pending || s.stopping) {
      await s.stopping;
      try {
        await s.pending;
      } catch {
        // the earlier attempt failed; this one tries again below
      }
    }
    if (s.lab && s.hosts === lesson.hosts && s.lessonId === lesson.id) return s.lab;
    s.pending = this.bringUp(s, lesson);
    try {
      return await s.pending;
    } finally {
      s.pending = null;
    }
  }

  private async bringUp(s: Slot, lesson: Lesson): Promise<Lab> {
    if (s.lab && s.hosts !== lesson.hosts) await this.stop(s.learnerId, null);
    let replay = false;
    if (!s.lab) {
      await this.acquire(s);
      try {
        const saved = await this.resumeSaved(s, lesson);
        s.lab = saved?.lab ?? (await this.startWithRetry(s, lesson));
        s.lessonId = saved?.note ?? null;
        replay = !saved;
      } catch (e) {
        this.release(s.learnerId);
        const msg = (e as Error).message;
        this.setStatus(s, {
          state: 'failed',
          reason: { zh: `实验机器启动失败：${msg}`, en: `the lab failed to start: ${msg}` },
        });
        throw e;
      }
      s.hosts = lesson.hosts;
    }
    const lab = s.lab;
    try {
      // A resumed lab that was saved in this lesson is already as the learner left it.
      if (s.lessonId !== lesson.id) {
        await this.o.prepare(s.learnerId, lab, lesson, replay, (detail) =>
          this.setStatus(s, { state: 'starting', detail }),
        );
      }
    } catch (e) {
      const msg = (e as Error).message;
      this.setStatus(s, {
        state: 'failed',
        reason: { zh: `准备本课环境时出错：${msg}`, en: `preparing the lesson failed: ${msg}` },
      });
      throw e;
    }
    s.lessonId = lesson.id;
    this.setStatus(s, { state: 'ready', labId: lab.id });
    return lab;
  }

  /** The learner's saved lab, resumed, if there is one with the hosts this lesson needs. */
  private async resumeSaved(s: Slot, lesson: Lesson): Promise<{ lab: Lab; note: string } | null> {
    const resume = this.o.provider.resume;
    if (!resume) return null;
    let saved;
    try {
      saved = await this.withRoom(s, { zh: '正在恢复你的实验机器…', en: 'Resuming your lab machine…' }, () =>
        resume(s.learnerId, this.labOptions(s, lesson)),
      );
    } catch (e) {
      log.warn('resuming a saved lab failed; starting a new one', {
        learner: s.learnerId,
        error: (e as Error).message,
      });
      return null;
    }
    if (saved && saved.lab.hosts.length !== lesson.hosts) {
      await saved.lab.down(); // saved in a lesson with another number of hosts: of no use here
      return null;
    }
    return saved;
  }

  private startWithRetry(s: Slot, lesson: Lesson): Promise<Lab> {
    const detail = {
      zh: '正在启动你的实验机器…（第一次大约需要 10–60 秒）',
      en: 'Starting your lab machine… (about 10–60 s the first time)',
    };
    return this.withRoom(s, detail, () => this.o.provider.start(this.labOptions(s, lesson)));
  }

  /** Runs `start`, and again while the sandbox refuses for lack of room (showing the queue). */
  private async withRoom<T>(s: Slot, detail: Text, start: () => Promise<T>): Promise<T> {
    for (;;) {
      this.setStatus(s, { state: 'starting', detail });
      try {
        return await start();
      } catch (e) {
        // The sandbox counts every VM on the machine (CLI labs too): wait for room, as in our queue.
        if ((e as Error).constructor.name !== 'LabCapacityError') throw e;
        this.setStatus(s, { state: 'queued', position: 1 });
        await new Promise((r) => setTimeout(r, capacityRetryMs));
      }
    }
  }

  private labOptions(s: Slot, lesson: Lesson): LabOptions {
    return { hosts: lesson.hosts, ownerPid: process.pid, label: `web:${s.learnerId.slice(0, 6)}` };
  }

  private async acquire(s: Slot): Promise<void> {
    if (this.active.size < this.o.maxLabs) {
      this.active.add(s.learnerId);
      return;
    }
    await new Promise<void>((resolve) => {
      this.waiting.push({ learnerId: s.learnerId, resolve });
      this.announceQueue();
    });
  }

  private release(learnerId: string): void {
    if (!this.active.delete(learnerId)) return;
    const next = this.waiting.shift();
    if (next) {
      this.active.add(next.learnerId);
      next.resolve();
    }
    this.announceQueue();
  }

  private announceQueue(): void {
    this.waiting.forEach((w, i) =>
      this.setStatus(this.slot(w.learnerId), { state: 'queued', position: i + 1 }),
    );
  }

  /** Queue places held by learners who left: without this they would block everyone behind them. */
  abandon(learnerId: string): void {
    const before = this.waiting.length;
    this.waiting = this.waiting.filter((w) => w.learnerId !== learnerId);
    if (this.waiting.length !== before) this.announceQueue();
  }

  terminals(learnerId: string): Map<string, TerminalSession> {
    return this.slot(learnerId).terminals;
  }

  /**
   * Stops a learner's lab and shells; with `save`, saves the lab first where the provider can.
   * `reason` null: a silent stop (switching host count, shutting down).
   */
  async stop(learnerId: string, reason: Text | null, save = false): Promise<void> {
    const s = this.slots.get(learnerId);
    if (!s) return;
    while (s.stopping) await s.stopping;
    s.stopping = this.end(s, reason, save);
    try {
      await s.stopping;
    } finally {
      s.stopping = null;
    }
  }

  private async end(s: Slot, reason: Text | null, save: boolean): Promise<void> {
    const lab = s.lab;
    const lessonId = s.lessonId;
    const saving = save && lab?.suspend !== undefined && lessonId !== null;
    // Tell the page first: disposing the shells closes its sockets (its only line to us), so this
    // is the last it hears. A failed save shows later, as a restart that redoes the finished steps.
    if (reason) this.setStatus(s, { state: 'stopped', reason: stoppedReason(reason, saving) });
    for (const t of s.terminals.values()) t.dispose();
    s.terminals.clear();
    s.lab = null;
    s.lessonId = null;
    if (!lab) return;
    try {
      if (saving) {
        const started = Date.now();
        await lab.suspend!(s.learnerId, lessonId!);
        log.info('lab saved', { learner: s.learnerId, lab: lab.id, ms: Date.now() - started });
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
    this.release(s.learnerId);
  }

  private async reapIdle(): Promise<void> {
    const now = Date.now();
    for (const s of this.slots.values()) {
      if (s.lab && !s.pending && !s.stopping && now - s.lastActive > this.o.idleMs) {
        log.info('stopping idle lab', { learner: s.learnerId, lab: s.lab.id });
        const minutes = Math.round(this.o.idleMs / 60_000);
        await this.stop(
          s.learnerId,
          {
            zh: `你已经 ${minutes} 分钟没有操作，实验机器已关闭，好让给别人用。`,
            en: `No activity for ${minutes} min, so your lab was stopped to make room for others.`,
          },
          true,
        );
      }
    }
  }

  /** Ends every lab; with `save`, saves each first where the provider can (a server shutdown). */
  async dispose(save = false): Promise<void> {
    clearInterval(this.idleTimer);
    // Waiters are left unresolved: resolving them would start labs during shutdown.
    this.waiting = [];
    await Promise.all([...this.slots.keys()].map((id) => this.stop(id, null, save)));
  }
}

/** What the learner reads once the lab is stopped: whether it comes back whole. */
function stoppedReason(reason: Text, saving: boolean): Text {
  return saving
    ? {
        zh: `${reason.zh}它会被原样保存：点“继续”，文件、容器和网络配置都会回来。`,
        en: `${reason.en} It is saved as it is: press “Resume” and your files, containers and network setup come back.`,
      }
    : {
        zh: `${reason.zh}点“继续”会重新启动它，并重做你已完成的步骤。`,
        en: `${reason.en} Press “Resume” to start it again with your finished steps redone.`,
      };
}
