/**
 * What one terminal costs on the host: the process the server spawns in node-pty for a VM's shell
 * (SandboxHost.shellCommand), timed from spawn to the guest prompt's end mark (OSC 133 B), and its
 * resident memory with everything it started. Also what an idle lab's QEMU costs the host: PSS
 * (shared pages counted once) and CPU over a quiet spell.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { spawn } from 'node-pty';
import type { SandboxHost } from '../engine/sandbox/api.ts';
import { guestSpareStatus } from '../engine/sandbox/paths.ts';

/** A process and all its descendants, by walking /proc/<pid>/task/<tid>/children. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const walk = (p: number) => {
    out.push(p);
    for (const t of readOr(() => fs.readdirSync(`/proc/${p}/task`), [])) {
      const children = readOr(() => fs.readFileSync(`/proc/${p}/task/${t}/children`, 'utf8'), '');
      for (const c of children.trim().split(/\s+/).filter(Boolean)) walk(Number(c));
    }
  };
  walk(pid);
  return out;
}

/** What `read` gives, or `fallback` for a process (or thread) that is gone. */
function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** A field of /proc/<pid>/smaps_rollup or status in KiB (0 for a process that is gone). */
function kib(pid: number, file: 'smaps_rollup' | 'status', field: string): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      fs.readFileSync(`/proc/${pid}/${file}`, 'utf8'),
    );
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export interface ShellOpen {
  /** Spawn → the prompt's end mark, per run (ms). */
  times: number[];
  /** RSS of the spawned process and its descendants once the prompt is there (MiB), per run. */
  rssMiB: number[];
  /** What the spawned program is (its argv[0]), for the printed line. */
  program: string;
}

/**
 * Waits until the guest agent's spare shell (agent.py, Spare) is at its prompt, as it is in a lab
 * that has just started or had no terminal for a moment.
 */
export async function spareReady(host: SandboxHost): Promise<void> {
  const r = await host.exec(
    `for i in $(seq 100); do grep -qs " ready$" ${guestSpareStatus} && exit 0; sleep 0.1; done; exit 1`,
  );
  if (r.code !== 0) throw new Error(`no spare shell ready in ${host.name} within 10 s`);
}

/**
 * Opens `runs` shells on `host` one after the other, as the server does, and closes each. With
 * `atRest`, each opens once the guest's spare shell is ready (a learner's new lab, or a terminal
 * opened a while after the last one closed); without, at once after the last one closed.
 */
export async function shellOpen(host: SandboxHost, runs: number, atRest = true): Promise<ShellOpen> {
  const command = host.shellCommand();
  const times: number[] = [];
  const rssMiB: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (atRest) await spareReady(host);
    const t0 = performance.now();
    const pty = spawn(command.file, command.args, {
      name: 'xterm-256color',
      cols: 100,
      rows: 30,
      env: { ...process.env, TERM: 'xterm-256color' } as Record<string, string>,
    });
    let out = '';
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no prompt from ${command.file} in 60 s: ${JSON.stringify(out.slice(-300))}`)),
        60_000,
      );
      pty.onData((d) => {
        out += d;
        if (out.includes('\x1b]133;B')) {
          clearTimeout(timer);
          resolve();
        }
      });
      pty.onExit(({ exitCode }) =>
        reject(new Error(`${command.file} exited with ${exitCode}: ${JSON.stringify(out.slice(-300))}`)),
      );
    });
    await ready;
    times.push(performance.now() - t0);
    rssMiB.push(processTree(pty.pid).reduce((n, p) => n + kib(p, 'status', 'VmRSS'), 0) / 1024);
    const exited = new Promise<void>((r) => pty.onExit(() => r()));
    pty.write('exit\r');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    try {
      pty.kill();
    } catch {
      // already gone
    }
  }
  return { times, rssMiB, program: command.file };
}

/** The QEMU processes of a lab (their command line names the lab's folder). */
export function qemuPids(labId: string): number[] {
  // pgrep exits 1 when nothing matches.
  const out = readOr(
    () => execFileSync('pgrep', ['-f', `qemu-system-x86_64.*${labId}`], { encoding: 'utf8' }),
    '',
  );
  return out.trim().split('\n').filter(Boolean).map(Number);
}

/** CPU time a process used so far, in seconds (user + system, its threads included). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return NaN;
  }
}

let ticks = 0;
function ticksPerSecond(): number {
  ticks ||= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return ticks;
}

export interface IdleCost {
  /** PSS of each QEMU (MiB): shared pages (KSM, the page cache of the backing files) count once. */
  pssMiB: number[];
  /** CPU of each QEMU over the spell, in percent of one core. */
  cpuPct: number[];
}

/** PSS and CPU of each of `pids` (idle labs' QEMUs) over `seconds` of quiet. */
export async function idleCost(pids: number[], seconds: number): Promise<IdleCost> {
  const before = pids.map(cpuSeconds);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = (performance.now() - t0) / 1000;
  const cpuPct = pids.map((p, i) => ((cpuSeconds(p) - before[i]!) / elapsed) * 100);
  const pssMiB = pids.map((p) => kib(p, 'smaps_rollup', 'Pss') / 1024);
  return { pssMiB, cpuPct };
}
