/**
 * Labs saved whole while their learner is away: each VM's RAM and device state (a QEMU migration
 * to a file) and its disk, in `savedDir/<key>/`. Starting the lab again resumes every VM exactly
 * where it was (processes, containers, files, addresses), with only its clock set forward.
 *   <host>.ram  <host>.qcow2  saved.json (written last: a folder without it is not a saved lab)
 * Folders are 0700 and files 0600: a saved lab holds a learner's files and memory. Their total is
 * kept under a quota, least recently saved first out (see pruneSaved).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Accel } from './vm.ts';
import type { HostRecord } from './lab.ts';
import { savedDir } from './paths.ts';
import { machineVersion } from './vm.ts';

export interface SavedLab {
  hosts: HostRecord[];
  memoryMb: number;
  cpus: number;
  accel: Accel;
  /** The kernel and initrd the VMs were started with, and their disks' backing file. */
  kernel: string;
  initrd: string;
  backing: string;
  /** The machine (vm.ts machineVersion) the RAM state was saved from: another cannot load it. */
  machine: string;
  /** Whatever the saver wants back (the server: the lesson the lab was prepared for). */
  note: string;
  savedAt: string;
}

/** There is no saved lab under a key, or it can no longer be resumed (the VM image was rebuilt). */
export class NoSavedLabError extends Error {}

export function savedLabDir(key: string): string {
  if (!/^[\w-]{1,80}$/.test(key))
    throw new Error(`a saved lab's key must be letters, digits, - or _: "${key}"`);
  return path.join(savedDir, key);
}

export function readSaved(key: string): SavedLab {
  const dir = savedLabDir(key);
  let saved: SavedLab;
  try {
    saved = JSON.parse(fs.readFileSync(path.join(dir, 'saved.json'), 'utf8')) as SavedLab;
  } catch {
    throw new NoSavedLabError(`no saved lab "${key}" in ${savedDir}`);
  }
  const missing = [saved.kernel, saved.initrd, saved.backing].filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    throw new NoSavedLabError(`saved lab "${key}" needs ${missing.join(', ')}, gone since (a new VM image)`);
  }
  if (saved.machine !== machineVersion()) {
    throw new NoSavedLabError(
      `saved lab "${key}" was saved from another VM machine (${saved.machine ?? 'older'}, now ${machineVersion()})`,
    );
  }
  return saved;
}

/** A new, empty folder for the lab saved under `key` (0700, in a 0700 savedDir). */
export function makeSavedLabDir(key: string): string {
  const dest = savedLabDir(key);
  fs.mkdirSync(savedDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(savedDir, 0o700);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { mode: 0o700 });
  return dest;
}

export function writeSaved(dir: string, saved: SavedLab): void {
  fs.writeFileSync(path.join(dir, 'saved.json.tmp'), JSON.stringify(saved, null, 2), { mode: 0o600 });
  fs.renameSync(path.join(dir, 'saved.json.tmp'), path.join(dir, 'saved.json'));
}

export function forgetSaved(key: string): void {
  fs.rmSync(savedLabDir(key), { recursive: true, force: true });
}

/** How much room saved labs may take: at most `maxBytes` in all, and never below `floorBytes` free. */
export interface SavedQuota {
  maxBytes: number;
  floorBytes: number;
}

const GB = 2 ** 30;

/**
 * DOCKERLAB_SAVED_MAX_GB (default: 50 GB or half the free space, whichever is less, counting what
 * saved labs hold now) and DOCKERLAB_SAVED_FLOOR_GB (default: 5 GB or a tenth of the disk).
 */
export function savedQuota(): SavedQuota {
  fs.mkdirSync(savedDir, { recursive: true, mode: 0o700 });
  const fsStat = fs.statfsSync(savedDir);
  const free = fsStat.bavail * fsStat.bsize;
  const setting = (name: string) => {
    const raw = process.env[name];
    if (raw === undefined || raw === '') return null;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`${name} must be a number of GB ≥ 0, not "${raw}"`);
    return value * GB;
  };
  const used = listSaved().reduce((n, s) => n + s.bytes, 0);
  return {
    maxBytes: setting('DOCKERLAB_SAVED_MAX_GB') ?? Math.min(50 * GB, (free + used) / 2),
    floorBytes: setting('DOCKERLAB_SAVED_FLOOR_GB') ?? Math.min(5 * GB, (fsStat.blocks * fsStat.bsize) / 10),
  };
}

/** Each saved lab (complete or not) with the space it takes on disk and when it was saved. */
export function listSaved(): { key: string; bytes: number; savedMs: number }[] {
  if (!fs.existsSync(savedDir)) return [];
  return fs.readdirSync(savedDir).flatMap((key) => {
    const dir = path.join(savedDir, key);
    try {
      let bytes = 0;
      for (const f of fs.readdirSync(dir)) bytes += fs.statSync(path.join(dir, f)).blocks * 512; // sparse files: real use
      return [{ key, bytes, savedMs: fs.statSync(dir).mtimeMs }];
    } catch {
      return []; // removed meanwhile
    }
  });
}

/**
 * Removes saved labs not resumed for `maxAgeMs`, then the least recently saved ones while all of
 * them take more than `quota.maxBytes` or the disk has less than `quota.floorBytes` free. Returns
 * the keys removed. Cheap enough to call on a timer (the server does, every few minutes).
 */
export function pruneSaved(maxAgeMs: number, quota: SavedQuota = savedQuota()): string[] {
  const pruned: string[] = [];
  const remove = (key: string) => {
    fs.rmSync(path.join(savedDir, key), { recursive: true, force: true });
    pruned.push(key);
  };
  // A folder without saved.json that is recent is being written (a lab being saved): leave it.
  const writing = (key: string, savedMs: number) =>
    !fs.existsSync(path.join(savedDir, key, 'saved.json')) && Date.now() - savedMs < 10 * 60_000;
  const left = listSaved()
    .filter((s) => !writing(s.key, s.savedMs))
    .sort((a, b) => a.savedMs - b.savedMs);
  for (const s of left.filter((s) => Date.now() - s.savedMs > maxAgeMs)) remove(s.key);
  const kept = left.filter((s) => !pruned.includes(s.key));
  let total = kept.reduce((n, s) => n + s.bytes, 0);
  const free = () => {
    const st = fs.statfsSync(savedDir);
    return st.bavail * st.bsize;
  };
  while (kept.length && (total > quota.maxBytes || free() < quota.floorBytes)) {
    const oldest = kept.shift()!;
    remove(oldest.key);
    total -= oldest.bytes;
  }
  return pruned;
}

/** rename(2), or copy and remove where `to` is on another file system. */
export function moveFile(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    fs.cpSync(from, to, { recursive: true });
    fs.rmSync(from, { recursive: true, force: true });
  }
}
