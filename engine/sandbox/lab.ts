/**
 * Labs: one or more VMs on a private network, each lab run by its own supervisor process (so a
 * lab started from the CLI outlives the command, and one started by the server dies with it).
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExecOptions, ExecResult, Lab, LabFailure, LabOptions, SandboxHost } from './api.ts';
import { bundled } from './bundle.ts';
import { VmCgroup } from './cgroup.ts';
import { checkpointLab, restoreLab } from './checkpoint.ts';
import { GuestClient } from './client.ts';
import { ensureImage, ensureSlotSnapshot, ensureSnapshot, isAlive, type Progress } from './image.ts';
import { slot } from './identity.ts';
import { logger } from '../log.ts';
import { labsDir, repoRoot } from './paths.ts';
import { makeSavedLabDir, moveFile, readSaved, savedLabDir } from './saved.ts';
import { thinShell } from './thin-shell.ts';

export interface HostRecord {
  name: string;
  address: string;
  mac: string;
}

export interface LabRecord {
  id: string;
  label?: string;
  hosts: HostRecord[];
  memoryMb: number;
  cpus: number;
  ownerPid?: number;
  /** Boot rather than resume the snapshot. */
  cold?: boolean;
  /** Resume a saved lab (see saved.ts), moved into `<lab>/saved`, instead of the snapshot. */
  resumed?: boolean;
  /** Each host from its slot's snapshot (image.ts ensureSlotSnapshot), with the slot's identity. */
  slots?: boolean;
  supervisorPid?: number;
  state: 'starting' | 'ready' | 'failed';
  error?: string;
  /** Why a lab that was ready failed (the supervisor's watchdog); its handles report it. */
  failure?: LabFailure;
  createdAt: string;
  /** How the VMs started and how long it took, for `list` and the benchmarks. */
  /** `ms` until every dockerd answered; `shellMs` until every guest agent did (a shell works). */
  boot?: { from: 'saved' | 'slot' | 'snapshot' | 'cold'; ms: number; shellMs: number };
}

export class LabCapacityError extends Error {}

const log = logger('lab');

const cli = path.join(repoRoot, 'bin/dockerlab.js');
export const defaults = {
  memoryMb: Number(process.env.DOCKERLAB_MEMORY_MB ?? 1024),
  /**
   * One vCPU: under TCG it does the same docker work in 16–29 % less host CPU than two and idles at
   * about half the CPU (docs/bench.md); `verify --jobs 2` on two cores then has no vCPU waiting.
   */
  cpus: Number(process.env.DOCKERLAB_CPUS ?? 1),
  maxVms: Number(process.env.DOCKERLAB_MAX_VMS ?? 4),
  /**
   * Start each host from a snapshot made for its slot (no dockerd restart: see image.ts
   * ensureSlotSnapshot); DOCKERLAB_SLOT_SNAPSHOTS=0 gives every VM a fresh identity instead.
   */
  slotSnapshots: process.env.DOCKERLAB_SLOT_SNAPSHOTS !== '0',
};

export function labDir(id: string): string {
  return path.join(labsDir, id);
}

export function readLab(dir: string): LabRecord {
  return JSON.parse(fs.readFileSync(path.join(dir, 'lab.json'), 'utf8')) as LabRecord;
}

export function writeLab(dir: string, record: LabRecord): void {
  fs.writeFileSync(path.join(dir, 'lab.json.tmp'), JSON.stringify(record, null, 2));
  fs.renameSync(path.join(dir, 'lab.json.tmp'), path.join(dir, 'lab.json'));
}

export function listLabs(): LabRecord[] {
  if (!fs.existsSync(labsDir)) return [];
  return fs.readdirSync(labsDir).flatMap((id) => {
    try {
      return [readLab(labDir(id))];
    } catch {
      return [];
    }
  });
}

/** VMs of labs that run or are starting on this machine (every user's labs folder is its own). */
export function runningVms(): number {
  return listLabs()
    .filter((l) => l.state !== 'failed')
    .reduce((n, l) => n + l.hosts.length, 0);
}

/** A failed lab's folder is kept this long after its supervisor ended, for its handles to read why. */
const FAILED_KEEP_MS = 10 * 60_000;

/**
 * Removes what dead supervisors left behind (their QEMUs died with them: see Vm; any still in the
 * lab's cgroups are killed).
 */
export function reapOrphans(): string[] {
  const reaped: string[] = [];
  if (!fs.existsSync(labsDir)) return reaped;
  for (const id of fs.readdirSync(labsDir)) {
    const dir = labDir(id);
    let record: LabRecord | null = null;
    try {
      record = readLab(dir);
    } catch {
      // a lab.json that never got written: the supervisor died at once
    }
    const age = Date.now() - fs.statSync(dir).mtimeMs;
    const dead = record?.supervisorPid ? !isAlive(record.supervisorPid) : age > 60_000;
    if (dead && (record?.state !== 'failed' || age > FAILED_KEEP_MS)) {
      for (const cgroup of VmCgroup.ofLab(id)) cgroup.remove();
      fs.rmSync(dir, { recursive: true, force: true });
      reaped.push(id);
    }
  }
  return reaped;
}

/**
 * `id` reuses a lab id (for `reset`); `cold` boots instead of resuming the snapshot (benchmarks);
 * `resume` starts the lab saved under that key by `suspendLab` (NoSavedLabError if there is none).
 */
export async function startLab(
  options: LabOptions & { id?: string; cold?: boolean; resume?: string } = {},
  progress?: Progress,
): Promise<Lab> {
  reapOrphans();
  const saved = options.resume ? readSaved(options.resume) : null;
  const hosts = saved?.hosts.length ?? options.hosts ?? 1;
  const running = runningVms();
  if (running + hosts > defaults.maxVms) {
    throw new LabCapacityError(
      `全部机器都在使用中 / all machines are in use: ${running} of ${defaults.maxVms} VMs run (DOCKERLAB_MAX_VMS)`,
    );
  }
  const memoryMb = saved?.memoryMb ?? options.memoryMb ?? defaults.memoryMb;
  const cpus = saved?.cpus ?? options.cpus ?? defaults.cpus;
  let slots = false;
  if (!saved) {
    const image = await ensureImage(progress);
    const base = await ensureSnapshot(image, memoryMb, cpus);
    if (defaults.slotSnapshots && !options.cold) {
      try {
        for (let i = 1; i <= hosts; i++) await ensureSlotSnapshot(image, base, `host${i}`);
        slots = true;
      } catch (e) {
        // Slower, not broken: the lab's VMs get their identity the old way.
        log.warn('a host slot snapshot could not be made: starting from the snapshot', {
          error: (e as Error).message,
        });
      }
    }
  }

  const id = options.id ?? 'lab-' + crypto.randomBytes(4).toString('hex');
  const dir = labDir(id);
  fs.mkdirSync(labsDir, { recursive: true, mode: 0o711 });
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The saved files become the lab's own: resumed once, then gone (a lab is saved anew each time).
  if (options.resume) moveFile(savedLabDir(options.resume), path.join(dir, 'saved'));
  const record: LabRecord = {
    id,
    label: options.label,
    hosts:
      saved?.hosts ??
      Array.from({ length: hosts }, (_, i) =>
        slots
          ? slot(`host${i + 1}`)
          : {
              name: `host${i + 1}`,
              address: `192.168.56.${11 + i}`,
              mac:
                '52:54:00:' +
                [...crypto.randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':'),
            },
      ),
    memoryMb,
    cpus,
    ownerPid: options.ownerPid,
    cold: options.cold,
    resumed: saved !== null,
    slots,
    state: 'starting',
    createdAt: new Date().toISOString(),
  };
  writeLab(dir, record);
  const logFd = fs.openSync(path.join(dir, 'supervisor.log'), 'a');
  const child = spawn(process.execPath, [...(await supervisorProgram()), dir], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
  });
  child.unref();
  fs.closeSync(logFd);
  return waitReady(id, child.pid!);
}

/**
 * How to run a lab's supervisor: its bundle (bundle.ts), which starts in ~0.1 s instead of tsx's
 * ~0.4 s, or else `dockerlab sandbox _supervise` (a repository we cannot write to).
 */
async function supervisorProgram(): Promise<string[]> {
  const here = import.meta.dirname;
  try {
    return [await bundled(path.join(here, 'supervise-main.ts'), path.join(here, '.supervisor.mjs'))];
  } catch (e) {
    log.warn('the supervisor runs through tsx: its bundle could not be made', {
      error: (e as Error).message,
    });
    return [cli, 'sandbox', '_supervise'];
  }
}

async function waitReady(id: string, pid: number): Promise<Lab> {
  const dir = labDir(id);
  for (;;) {
    // Often: the file is small, and every poll's wait is added to the lab's start.
    await sleep(25);
    let record: LabRecord | null = null;
    try {
      record = readLab(dir);
    } catch {
      // being rewritten, or gone because the supervisor gave up
    }
    if (record?.state === 'ready') return attachLab(id);
    if (record?.state === 'failed' || !isAlive(pid)) {
      const log = fs.existsSync(path.join(dir, 'supervisor.log'))
        ? fs.readFileSync(path.join(dir, 'supervisor.log'), 'utf8').split('\n').slice(-15).join('\n')
        : '';
      throw new Error(`lab ${id} failed to start: ${record?.error ?? 'its supervisor died'}\n${log}`);
    }
  }
}

/** A lab as seen from this process; `detach` closes this process's connections to it. */
export interface LabHandle extends Lab {
  detach(): void;
  onFailure(listener: (failure: LabFailure) => void): () => void;
}

/** How often a handle with failure listeners looks at its lab (lab.json and the supervisor). */
const WATCH_MS = 1000;

/**
 * Watches a lab for its handle: fires once with the supervisor's failure record, or with cause
 * `supervisor` when the supervisor died without one (or the lab vanished under us).
 */
class FailureWatch {
  private readonly listeners = new Set<(failure: LabFailure) => void>();
  private timer: NodeJS.Timeout | null = null;
  /** Set once this handle ended the lab (down, suspend) or a failure was reported. */
  private done = false;

  constructor(private readonly dir: string) {}

  add(listener: (failure: LabFailure) => void): () => void {
    if (this.done) return () => undefined;
    this.listeners.add(listener);
    // unref: a watch never keeps a process alive (a CLI exits when its work is done).
    this.timer ??= setInterval(() => this.check(), WATCH_MS).unref();
    return () => {
      this.listeners.delete(listener);
      if (!this.listeners.size) this.stop();
    };
  }

  /** No more reports: the lab is being ended on purpose. */
  end(): void {
    this.done = true;
    this.stop();
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private check(): void {
    if (this.done) return;
    let record: LabRecord | null = null;
    try {
      record = readLab(this.dir);
    } catch {
      if (fs.existsSync(path.join(this.dir, 'lab.json'))) return; // being rewritten
    }
    let failure: LabFailure | null = null;
    if (!record) {
      failure = { host: null, cause: 'supervisor', detail: 'the lab was stopped by another process' };
    } else if (record.state === 'failed') {
      failure = record.failure ?? { host: null, cause: 'supervisor', detail: record.error ?? 'failed' };
    } else if (!isAlive(record.supervisorPid ?? 0)) {
      const log = path.join(this.dir, 'supervisor.log');
      const tail = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').slice(-10).join('\n') : '';
      failure = {
        host: null,
        cause: 'supervisor',
        detail: `its supervisor (pid ${record.supervisorPid}) died:\n${tail}`,
      };
    }
    if (!failure) return;
    const listeners = [...this.listeners];
    this.end();
    for (const listener of listeners) listener(failure);
  }
}

export async function attachLab(id: string): Promise<LabHandle> {
  const dir = labDir(id);
  if (!fs.existsSync(path.join(dir, 'lab.json'))) {
    throw new Error(`no lab "${id}": see \`dockerlab sandbox list\` for the running ones`);
  }
  const record = readLab(dir);
  const hosts = record.hosts.map((h) => new Host(id, h, path.join(dir, `${h.name}.sock`)));
  const watch = new FailureWatch(dir);
  return {
    id,
    hosts,
    host(name: string) {
      const host = hosts.find((h) => h.name === name);
      if (!host)
        throw new Error(`lab ${id} has no host "${name}"; it has ${hosts.map((h) => h.name).join(', ')}`);
      return host;
    },
    // Ending the lab also closes this handle's connections to it: nothing of it keeps us alive.
    down: () => (watch.end(), hosts.forEach((h) => h.detach()), stopLab(id)),
    suspend: (key, note) => (watch.end(), hosts.forEach((h) => h.detach()), suspendLab(id, key, note)),
    onFailure: (listener) => watch.add(listener),
    checkpoint: (name) =>
      checkpointLab(
        dir,
        record.hosts.map((h) => h.name),
        name,
      ),
    restore: (name) => restoreLab(dir, hosts, name),
    detach: () => {
      watch.end();
      hosts.forEach((h) => h.detach());
    },
  };
}

class Host implements SandboxHost {
  readonly name: string;
  readonly address: string;
  private client: Promise<GuestClient> | null = null;

  constructor(
    private readonly labId: string,
    record: HostRecord,
    private readonly socket: string,
  ) {
    this.name = record.name;
    this.address = record.address;
  }

  exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.withClient((c) => c.exec(['bash', '-c', script], options));
  }

  ask(socket: string, request: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.withClient((c) => c.ask(socket, request, options));
  }

  private async withClient(run: (client: GuestClient) => Promise<ExecResult>): Promise<ExecResult> {
    this.client ??= GuestClient.connect(this.socket);
    try {
      return await run(await this.client);
    } catch (e) {
      this.client = null; // reconnect next time (the lab may have been reset)
      throw e;
    }
  }

  detach(): void {
    void this.client?.then((c) => c.close()).catch(() => undefined);
    this.client = null;
  }

  /** The thin C client where it could be built (thin-shell.ts), else `dockerlab sandbox shell`. */
  shellCommand() {
    const thin = thinShell();
    if (thin) return { file: thin, args: [this.socket] };
    return { file: process.execPath, args: [cli, 'sandbox', 'shell', `${this.labId}:${this.name}`] };
  }
}

/** Asks the supervisor to stop the lab, and makes sure it did. Safe to call twice. */
export async function stopLab(id: string): Promise<void> {
  const dir = labDir(id);
  if (!fs.existsSync(dir)) return;
  let pid = 0;
  try {
    pid = readLab(dir).supervisorPid ?? 0;
  } catch {
    // no record: nothing is running
  }
  await signalAndWait(pid, 'SIGTERM', 10_000);
  for (const cgroup of VmCgroup.ofLab(id)) cgroup.remove();
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * Saves the lab whole under `key` (see saved.ts) and ends it; `note` comes back with the saved lab.
 * Throws if saving failed; the lab is ended either way.
 */
export async function suspendLab(id: string, key: string, note: string): Promise<void> {
  const dir = labDir(id);
  const record = readLab(dir);
  const pid = record.supervisorPid ?? 0;
  if (record.state === 'failed')
    throw new Error(`lab ${id} failed (${record.failure?.cause}); a failed lab is not saved`);
  if (!isAlive(pid) || record.state !== 'ready') throw new Error(`lab ${id} is not running`);
  const dest = makeSavedLabDir(key);
  fs.writeFileSync(path.join(dir, 'save.json'), JSON.stringify({ dest, note }));
  // Writing a GiB of guest RAM under TCG takes seconds; allow for a loaded machine.
  await signalAndWait(pid, 'SIGUSR2', 180_000);
  fs.rmSync(dir, { recursive: true, force: true });
  if (!fs.existsSync(path.join(dest, 'saved.json'))) {
    const why = fs.existsSync(path.join(dest, 'error.txt'))
      ? fs.readFileSync(path.join(dest, 'error.txt'), 'utf8').trim()
      : 'its supervisor ended without saving';
    fs.rmSync(dest, { recursive: true, force: true });
    throw new Error(`saving lab ${id} failed: ${why}`);
  }
}

/** Sends a lab's supervisor `signal` and waits up to `ms` for it to end; then kills it. */
async function signalAndWait(pid: number, signal: NodeJS.Signals, ms: number): Promise<void> {
  if (isAlive(pid)) process.kill(pid, signal);
  for (const deadline = Date.now() + ms; isAlive(pid) && Date.now() < deadline;) await sleep(100);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
