/**
 * Labs of real VMs for the server: started from the snapshot, or resumed from the learner's saved
 * lab (see sandbox/saved.ts). Loaded lazily so the server starts without touching the sandbox.
 *
 * With a warm pool (`DOCKERLAB_WARM` labs, default 1: see `vmProviderWithPool`), one-host labs are
 * started before anyone asks, so a learner opening a lesson gets one that is already running; the
 * pool starts the next one at once. Warm labs count against the machine's VM cap like any other
 * and give way to learners: when a learner's lab finds no room, a warm lab is stopped for it.
 */
import type { Lab, LabOptions } from '../sandbox/api.ts';
import type { LabProvider } from './workspace.ts';
import { logger } from '../log.ts';

const log = logger('vm-provider');

export const vmProvider: LabProvider = {
  start: async (options) => (await import('../sandbox/lab.ts')).startLab(options),
  resume: async (key, options) => {
    const { startLab } = await import('../sandbox/lab.ts');
    const { readSaved, forgetSaved, NoSavedLabError } = await import('../sandbox/saved.ts');
    let note: string;
    try {
      note = readSaved(key).note;
    } catch (e) {
      if (!(e instanceof NoSavedLabError)) throw e;
      forgetSaved(key); // nothing there, or made from an image that is gone
      return null;
    }
    return { lab: await startLab({ ...options, resume: key }), note };
  },
  forget: async (key) => (await import('../sandbox/saved.ts')).forgetSaved(key),
};

export interface PoolOptions {
  /** Ready labs to keep waiting. */
  size: number;
  /** Starts one warm lab (one host, the default memory and CPUs). */
  start: () => Promise<Lab>;
  /** Whether the machine has room for one more VM now (the sandbox's cap, DOCKERLAB_MAX_VMS). */
  room: () => boolean;
  /** Called when a warm lab could not start; the pool tries again after `retryMs`. */
  retryMs?: number;
  /**
   * After a hand-over, the next warm lab starts this much later (default 0: at once). A lab's start
   * takes the CPU for a second or two; right after a hand-over that is the learner's: their lesson's
   * setup, the step's checkpoint and the first shell are what their page is waiting for.
   */
  refillDelayMs?: number;
}

/**
 * Ready one-host labs, waiting for learners. `take` hands one over (and starts the next); labs that
 * fail while waiting are dropped and replaced. Never more than `size` labs ready or starting.
 */
export class WarmPool {
  private readonly ready: Lab[] = [];
  private starting = 0;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  /** Set while the pool waits after a hand-over (refillDelayMs): nothing starts meanwhile. */
  private quiet: NodeJS.Timeout | null = null;
  private readonly unwatch = new Map<Lab, () => void>();
  /** Handed-over or dropped labs whose start was still under way: delivered to whoever waits. */
  private readonly waiters: ((lab: Lab | null) => void)[] = [];

  constructor(private readonly o: PoolOptions) {}

  /** Labs ready now (for tests and the status line). */
  get size(): number {
    return this.ready.length;
  }

  /** Labs being started now. */
  get pending(): number {
    return this.starting;
  }

  /** Starts labs until `size` are ready or starting, while the machine has room. */
  fill(): void {
    while (!this.closed && !this.quiet && this.ready.length + this.starting < this.o.size && this.o.room()) {
      this.starting++;
      void this.o.start().then(
        (lab) => this.arrived(lab),
        (e: unknown) => {
          this.starting--;
          log.warn('a warm lab did not start', { error: (e as Error).message });
          this.waiters.shift()?.(null);
          this.retry ??= setTimeout(() => ((this.retry = null), this.fill()), this.o.retryMs ?? 30_000);
          this.retry.unref?.();
        },
      );
    }
  }

  private arrived(lab: Lab): void {
    this.starting--;
    if (this.closed) return void lab.down();
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(lab);
      this.fill();
      return;
    }
    this.ready.push(lab);
    // A warm lab that fails while it waits is of no use: drop it, start another.
    const off = lab.onFailure?.((f) => {
      log.warn('a warm lab failed while waiting', { lab: lab.id, cause: f.cause });
      this.drop(lab);
      void lab.down();
      this.fill();
    });
    if (off) this.unwatch.set(lab, off);
  }

  private drop(lab: Lab): boolean {
    const i = this.ready.indexOf(lab);
    if (i < 0) return false;
    this.ready.splice(i, 1);
    this.unwatch.get(lab)?.();
    this.unwatch.delete(lab);
    return true;
  }

  /** A ready lab, now the caller's (the pool starts another); null if none is ready. */
  take(): Lab | null {
    const lab = this.ready.shift() ?? null;
    if (lab) {
      this.unwatch.get(lab)?.();
      this.unwatch.delete(lab);
      if (this.o.refillDelayMs && !this.quiet) {
        this.quiet = setTimeout(() => ((this.quiet = null), this.fill()), this.o.refillDelayMs);
        this.quiet.unref?.();
      }
      this.fill();
    }
    return lab;
  }

  /**
   * Makes room for a learner's lab: stops a ready warm lab, or else hands over one being started
   * (resolving with it once it is up). False: the pool holds nothing to give way with.
   */
  async yieldRoom(): Promise<{ stopped: true } | { lab: Lab } | false> {
    const lab = this.ready.pop();
    if (lab) {
      this.unwatch.get(lab)?.();
      this.unwatch.delete(lab);
      await lab.down();
      return { stopped: true };
    }
    if (this.starting > this.waiters.length) {
      const handed = await new Promise<Lab | null>((resolve) => this.waiters.push(resolve));
      return handed ? { lab: handed } : false;
    }
    return false;
  }

  /** Stops every ready lab and starts no more; labs still starting are stopped when they arrive. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.quiet) clearTimeout(this.quiet);
    for (const w of this.waiters.splice(0)) w(null);
    const labs = this.ready.splice(0);
    for (const off of this.unwatch.values()) off();
    this.unwatch.clear();
    await Promise.all(labs.map((l) => l.down()));
  }
}

/** Whether `options` ask for what a warm lab is: one host, the default memory and CPUs. */
function fitsPool(options: LabOptions): boolean {
  return (options.hosts ?? 1) === 1 && options.memoryMb === undefined && options.cpus === undefined;
}

/**
 * `base`'s labs, with a warm pool of `size` one-host labs in front (none for size 0). When the
 * machine is full, a learner's start or resume makes a warm lab give way.
 */
export function withWarmPool(
  base: LabProvider,
  pool: WarmPool,
  isCapacityError: (e: unknown) => boolean,
): LabProvider & { pool: WarmPool } {
  const withRoom = async <T>(start: () => Promise<T>, take?: (lab: Lab) => T): Promise<T> => {
    for (;;) {
      try {
        return await start();
      } catch (e) {
        if (!isCapacityError(e)) throw e;
        const given = await pool.yieldRoom();
        if (!given) throw e;
        if ('lab' in given) {
          if (take) return take(given.lab);
          await given.lab.down();
        }
      }
    }
  };
  return {
    pool,
    start: async (options) => {
      const warm = fitsPool(options) ? pool.take() : null;
      if (warm) {
        log.info('a warm lab handed over', { lab: warm.id });
        return warm;
      }
      return withRoom(() => base.start(options), fitsPool(options) ? (lab) => lab : undefined);
    },
    resume: base.resume ? (key, options) => withRoom(() => base.resume!(key, options)) : undefined,
    forget: base.forget,
  };
}

/**
 * A warm lab, made ready for its first learner while it waits: the inspector's resident copy is
 * started (the step's baseline is the learner's first snapshot) and a login shell has run once, so
 * TCG has translated bash, python and the shell's profile before the page needs them. Best effort:
 * a lab that cannot do it is still a lab.
 */
async function warmUp(lab: Lab): Promise<Lab> {
  const { inspectHost } = await import('../inspect/inspect.ts');
  const host = lab.host('host1');
  await Promise.allSettled([inspectHost(host), host.exec('bash -l -c true')]);
  return lab;
}

/**
 * The server's provider: vmProvider with a warm pool of DOCKERLAB_WARM one-host labs (default 1;
 * 0 turns it off), owned by this process (they die with it) and filled from now on.
 */
export async function vmProviderWithPool(
  size = Number(process.env.DOCKERLAB_WARM ?? 1),
): Promise<LabProvider & { pool: WarmPool }> {
  if (!(Number.isInteger(size) && size >= 0 && size <= 16))
    throw new Error(
      `DOCKERLAB_WARM must be a whole number from 0 to 16, got "${process.env.DOCKERLAB_WARM}"`,
    );
  const { startLab, LabCapacityError, runningVms, defaults } = await import('../sandbox/lab.ts');
  const pool = new WarmPool({
    size,
    start: async () => warmUp(await startLab({ hosts: 1, ownerPid: process.pid, label: 'warm' })),
    room: () => runningVms() + 1 <= defaults.maxVms,
    refillDelayMs: 5000,
  });
  pool.fill();
  // Room comes back when a learner's lab ends (or a CLI lab): look again now and then.
  setInterval(() => pool.fill(), 15_000).unref();
  return withWarmPool(vmProvider, pool, (e) => e instanceof LabCapacityError);
}
