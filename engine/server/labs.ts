/**
 * Each learner's lab: started on first need, at most `maxLabs` at once (the rest wait in a queue
 * and are told their place), stopped after `idleMs` without activity, and restarted on demand.
 * A lab is prepared for the learner's lesson (its setup; after a restart, the reference solutions of
 * the steps already passed, so the learner finds the machine as they left it).
 */
import type { Lab, LabOptions } from '../sandbox/api.ts';
import type { Lesson } from '../lessons/types.ts';
import type { LabStatus, Text } from '../protocol.ts';
import type { TerminalSession } from './terminal.ts';
import { logger } from '../log.ts';

const log = logger('labs');

export interface LabProvider {
  start(options: LabOptions): Promise<Lab>;
}

export interface LabManagerOptions {
  provider: LabProvider;
  maxLabs: number;
  idleMs: number;
  onStatus(learnerId: string, status: LabStatus): void;
  /** Brings a (re)started lab to the lesson's state: setup, then passed steps if `resume`. */
  prepare(
    learnerId: string,
    lab: Lab,
    lesson: Lesson,
    resume: boolean,
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
  terminals: Map<string, TerminalSession>;
  lastActive: number;
  /** True once a lab of this learner has been stopped for idleness: the next start replays. */
  wasStopped: boolean;
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
        terminals: new Map(),
        lastActive: Date.now(),
        wasStopped: false,
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
    while (s.pending) {
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
    let resume = false;
    if (!s.lab) {
      await this.acquire(s);
      try {
        s.lab = await this.startWithRetry(s, lesson);
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
      s.lessonId = null;
      resume = s.wasStopped;
    }
    const lab = s.lab;
    try {
      await this.o.prepare(s.learnerId, lab, lesson, resume, (detail) =>
        this.setStatus(s, { state: 'starting', detail }),
      );
    } catch (e) {
      const msg = (e as Error).message;
      this.setStatus(s, {
        state: 'failed',
        reason: { zh: `准备本课环境时出错：${msg}`, en: `preparing the lesson failed: ${msg}` },
      });
      throw e;
    }
    s.lessonId = lesson.id;
    s.wasStopped = false;
    this.setStatus(s, { state: 'ready', labId: lab.id });
    return lab;
  }

  private async startWithRetry(s: Slot, lesson: Lesson): Promise<Lab> {
    for (;;) {
      this.setStatus(s, {
        state: 'starting',
        detail: {
          zh: '正在启动你的实验机器…（第一次大约需要 10–60 秒）',
          en: 'Starting your lab machine… (about 10–60 s the first time)',
        },
      });
      try {
        return await this.o.provider.start({
          hosts: lesson.hosts,
          ownerPid: process.pid,
          label: `web:${s.learnerId.slice(0, 6)}`,
        });
      } catch (e) {
        // The sandbox counts every VM on the machine (CLI labs too): wait for room, as in our queue.
        if ((e as Error).constructor.name !== 'LabCapacityError') throw e;
        this.setStatus(s, { state: 'queued', position: 1 });
        await new Promise((r) => setTimeout(r, capacityRetryMs));
      }
    }
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

  /** Stops a learner's lab and shells. `reason` null: a silent stop (switching host count). */
  async stop(learnerId: string, reason: Text | null): Promise<void> {
    const s = this.slots.get(learnerId);
    if (!s) return;
    // Tell the page first: disposing the shells closes its sockets.
    if (reason) this.setStatus(s, { state: 'stopped', reason });
    for (const t of s.terminals.values()) t.dispose();
    s.terminals.clear();
    const lab = s.lab;
    s.lab = null;
    s.lessonId = null;
    if (lab) {
      s.wasStopped = true;
      try {
        await lab.down();
      } catch (e) {
        log.warn('lab down failed', { lab: lab.id, error: (e as Error).message });
      }
      this.release(learnerId);
    }
  }

  private async reapIdle(): Promise<void> {
    const now = Date.now();
    for (const s of this.slots.values()) {
      if (s.lab && !s.pending && now - s.lastActive > this.o.idleMs) {
        log.info('stopping idle lab', { learner: s.learnerId, lab: s.lab.id });
        const minutes = Math.round(this.o.idleMs / 60_000);
        await this.stop(s.learnerId, {
          zh: `你已经 ${minutes} 分钟没有操作，实验机器已关闭以便让给别人。点“继续”会重新启动它，并恢复你已完成的步骤。`,
          en: `No activity for ${minutes} min, so your lab was stopped. Press “Resume” to start it again with your finished steps restored.`,
        });
      }
    }
  }

  async dispose(): Promise<void> {
    clearInterval(this.idleTimer);
    // Waiters are left unresolved: resolving them would start labs during shutdown.
    this.waiting = [];
    await Promise.all([...this.slots.keys()].map((id) => this.stop(id, null)));
  }
}
