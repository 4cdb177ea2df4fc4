/**
 * Host limits for each VM: its QEMU runs in a cgroup of its own (memory, tasks, CPU weight) under a
 * `dockerlab` group, so one lab cannot take the host's memory or CPU from the others or the server.
 * cgroup v2 where the host has it (the unified tree at /sys/fs/cgroup); a hybrid host with the v1
 * controllers mounted one per folder (some containers and CI machines) gets the same limits there.
 * Where neither can be written (not root, no delegated tree) VMs run without limits and the
 * supervisor's log says so once.
 *   v2: /sys/fs/cgroup/dockerlab/<lab>.<host>/{memory.max,pids.max,cpu.weight}
 *   v1: /sys/fs/cgroup/{memory,pids,cpu}/dockerlab/<lab>.<host>/…
 * DOCKERLAB_CGROUP names another v2 folder to use as the parent (a tree delegated to a non-root
 * server by setup).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface CgroupLimits {
  memoryBytes: number;
  /** Tasks: QEMU's threads (vCPUs, I/O workers). */
  tasks: number;
  /** Relative CPU share, 1..10000 (v2's cpu.weight scale; 100 is the default). */
  cpuWeight: number;
}

/** What this host offers, decided once. */
export type CgroupSupport =
  | { version: 2; parent: string }
  | { version: 1; parents: { memory: string; pids: string; cpu: string } }
  | { version: null; why: string };

const ROOT = '/sys/fs/cgroup';
let support: CgroupSupport | null = null;

export function cgroupSupport(): CgroupSupport {
  support ??= detect();
  return support;
}

function detect(): CgroupSupport {
  try {
    const parent = process.env.DOCKERLAB_CGROUP ?? path.join(ROOT, 'dockerlab');
    if (fs.existsSync(path.join(ROOT, 'cgroup.controllers')) || process.env.DOCKERLAB_CGROUP) {
      fs.mkdirSync(parent, { recursive: true });
      const need = ['memory', 'pids', 'cpu'];
      const has = fs.readFileSync(path.join(path.dirname(parent), 'cgroup.controllers'), 'utf8').split(/\s+/);
      const missing = need.filter((c) => !has.includes(c));
      if (missing.length)
        return { version: null, why: `cgroup v2 lacks the ${missing.join(', ')} controller` };
      // Enabling a controller already enabled is a no-op; a parent's may be delegated and fixed.
      tryWrite(path.join(path.dirname(parent), 'cgroup.subtree_control'), '+memory +pids +cpu');
      fs.writeFileSync(path.join(parent, 'cgroup.subtree_control'), '+memory +pids +cpu');
      return { version: 2, parent };
    }
    const parents = {
      memory: path.join(ROOT, 'memory', 'dockerlab'),
      pids: path.join(ROOT, 'pids', 'dockerlab'),
      cpu: path.join(ROOT, 'cpu', 'dockerlab'),
    };
    for (const dir of Object.values(parents)) {
      fs.mkdirSync(dir, { recursive: true });
      // Made by root earlier, it exists for everyone; only its owner can make VMs' cgroups in it.
      fs.accessSync(dir, fs.constants.W_OK);
    }
    return { version: 1, parents };
  } catch (e) {
    return { version: null, why: `cannot create cgroups here: ${(e as Error).message}` };
  }
}

function tryWrite(file: string, value: string): void {
  try {
    fs.writeFileSync(file, value);
  } catch {
    // not ours to change (a delegated tree) or already as wanted
  }
}

/** One VM's cgroup (one folder per controller on v1). */
export class VmCgroup {
  private constructor(
    /** The folders: one on v2, memory/pids/cpu on v1. */
    readonly dirs: string[],
    private readonly version: 1 | 2,
  ) {}

  /** Creates (or reuses) the cgroup `name` with `limits`; null where the host has no cgroups. */
  static create(name: string, limits: CgroupLimits): VmCgroup | null {
    const s = cgroupSupport();
    if (s.version === null) return null;
    if (s.version === 2) {
      const dir = path.join(s.parent, name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'memory.max'), String(limits.memoryBytes));
      tryWrite(path.join(dir, 'memory.swap.max'), '0');
      fs.writeFileSync(path.join(dir, 'pids.max'), String(limits.tasks));
      fs.writeFileSync(path.join(dir, 'cpu.weight'), String(limits.cpuWeight));
      return new VmCgroup([dir], 2);
    }
    const memory = path.join(s.parents.memory, name);
    const pids = path.join(s.parents.pids, name);
    const cpu = path.join(s.parents.cpu, name);
    for (const dir of [memory, pids, cpu]) fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(memory, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    tryWrite(path.join(memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
    fs.writeFileSync(path.join(pids, 'pids.max'), String(limits.tasks));
    // v1 shares: 1024 is the default, as 100 is v2's.
    fs.writeFileSync(
      path.join(cpu, 'cpu.shares'),
      String(Math.max(2, Math.round((limits.cpuWeight * 1024) / 100))),
    );
    return new VmCgroup([memory, pids, cpu], 1);
  }

  /** Files a process writes its pid to, to join (used before QEMU starts: see Vm). */
  procsFiles(): string[] {
    return this.dirs.map((d) => path.join(d, 'cgroup.procs'));
  }

  pids(): number[] {
    const seen = new Set<number>();
    for (const file of this.procsFiles()) {
      try {
        for (const line of fs.readFileSync(file, 'utf8').split('\n')) if (line) seen.add(Number(line));
      } catch {
        // gone
      }
    }
    return [...seen];
  }

  /** Memory in use now and at most so far, and how often the kernel killed for memory, in bytes. */
  memory(): { current: number; peak: number | null; oomKills: number } {
    const read = (file: string) => {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch {
        return '';
      }
    };
    const dir = this.dirs[0]!;
    if (this.version === 2) {
      const events = /oom_kill (\d+)/.exec(read(path.join(dir, 'memory.events')));
      const peak = read(path.join(dir, 'memory.peak'));
      return {
        current: Number(read(path.join(dir, 'memory.current'))) || 0,
        peak: peak ? Number(peak) : null,
        oomKills: Number(events?.[1] ?? 0),
      };
    }
    const kills = /oom_kill (\d+)/.exec(read(path.join(dir, 'memory.oom_control')));
    return {
      current: Number(read(path.join(dir, 'memory.usage_in_bytes'))) || 0,
      peak: Number(read(path.join(dir, 'memory.max_usage_in_bytes'))) || null,
      oomKills: Number(kills?.[1] ?? 0),
    };
  }

  /** Kills whatever still runs in it (a QEMU whose supervisor died) and removes it. */
  remove(): void {
    for (const pid of this.pids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of this.dirs) {
      for (let i = 0; i < 20; i++) {
        try {
          fs.rmdirSync(dir);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); // its tasks are exiting
        }
      }
    }
  }

  /** The cgroups of a lab's VMs, by the `<lab>.` prefix of their names (for reaping). */
  static ofLab(labId: string): VmCgroup[] {
    const s = cgroupSupport();
    if (s.version === null) return [];
    const list = (dir: string) =>
      (fs.existsSync(dir) ? fs.readdirSync(dir) : []).filter((n) => n.startsWith(`${labId}.`));
    if (s.version === 2) return list(s.parent).map((n) => new VmCgroup([path.join(s.parent, n)], 2));
    return list(s.parents.memory).map(
      (n) =>
        new VmCgroup(
          [s.parents.memory, s.parents.pids, s.parents.cpu].map((p) => path.join(p, n)),
          1,
        ),
    );
  }
}
