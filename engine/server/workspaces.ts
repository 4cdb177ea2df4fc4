/**
 * Every learner's Workspace, and the policy between them: at most `maxLabs` labs at once (the rest
 * wait in a queue and are told their place), and a lab idle for `idleMs` is stopped (saved whole
 * where the provider can) to make room.
 */
import type { Course, Evaluate, Snapshot } from './course.ts';
import type { FlowOptions } from './flow.ts';
import { Workspace, type LabProvider, type Seats } from './workspace.ts';
import { logger } from '../log.ts';

const log = logger('workspaces');

export interface WorkspacesOptions {
  course: Course;
  provider: LabProvider;
  evaluate: Evaluate;
  snapshot?: Snapshot;
  flow: FlowOptions;
  maxLabs: number;
  idleMs: number;
}

export class Workspaces implements Seats {
  private readonly all = new Map<string, Workspace>();
  private readonly byPreviewKey = new Map<string, Workspace>();
  private readonly seated = new Set<Workspace>();
  private waiting: { w: Workspace; resolve: () => void }[] = [];
  private readonly idleTimer: NodeJS.Timeout;

  constructor(private readonly o: WorkspacesOptions) {
    // Checking every tenth of the idle time keeps the overshoot small without busy polling.
    this.idleTimer = setInterval(() => void this.reapIdle(), Math.max(1000, Math.min(60_000, o.idleMs / 10)));
    this.idleTimer.unref();
  }

  /** The learner's workspace, made on first need. */
  get(learnerId: string): Workspace {
    let w = this.all.get(learnerId);
    if (!w) {
      w = new Workspace({
        learnerId,
        course: this.o.course,
        provider: this.o.provider,
        evaluate: this.o.evaluate,
        snapshot: this.o.snapshot,
        flow: this.o.flow,
        seats: this,
      });
      this.all.set(learnerId, w);
      this.byPreviewKey.set(w.previewKey, w);
    }
    return w;
  }

  /** The learner's workspace if they have one (never makes one). */
  peek(learnerId: string): Workspace | undefined {
    return this.all.get(learnerId);
  }

  /** Whose preview URL this key is part of. */
  byPreview(key: string): Workspace | undefined {
    return this.byPreviewKey.get(key);
  }

  async take(w: Workspace): Promise<void> {
    if (this.seated.size < this.o.maxLabs) {
      this.seated.add(w);
      return;
    }
    await new Promise<void>((resolve) => {
      this.waiting.push({ w, resolve });
      this.announceQueue();
    });
  }

  give(w: Workspace): void {
    if (!this.seated.delete(w)) return;
    const next = this.waiting.shift();
    if (next) {
      this.seated.add(next.w);
      next.resolve();
    }
    this.announceQueue();
  }

  leaveQueue(w: Workspace): void {
    const before = this.waiting.length;
    this.waiting = this.waiting.filter((x) => x.w !== w);
    if (this.waiting.length !== before) this.announceQueue();
  }

  private announceQueue(): void {
    this.waiting.forEach((x, i) => x.w.setStatus({ state: 'queued', position: i + 1 }));
  }

  private async reapIdle(): Promise<void> {
    const now = Date.now();
    for (const w of this.all.values()) {
      const idle = w.idleFor(now);
      if (idle === null || idle <= this.o.idleMs) continue;
      log.info('stopping idle lab', { learner: w.learnerId });
      const minutes = Math.round(this.o.idleMs / 60_000);
      await w.stop(
        {
          zh: `你已经 ${minutes} 分钟没有操作，实验机器已关闭，好让给别人用。`,
          en: `No activity for ${minutes} min, so your lab was stopped to make room for others.`,
        },
        true,
      );
    }
  }

  /** Stops new checks and labs (the store is about to close). */
  close(): void {
    for (const w of this.all.values()) w.close();
  }

  /** Ends every lab; with `save`, saves each first where the provider can (a server shutdown). */
  async dispose(save = false): Promise<void> {
    clearInterval(this.idleTimer);
    // Waiters are left unresolved: resolving them would start labs during shutdown.
    this.waiting = [];
    await Promise.all([...this.all.values()].map((w) => w.dispose(save)));
  }
}
