/**
 * Labs saved whole while their learner is away: each VM's RAM and device state (a QEMU migration
 * to a file) and its disk, in `savedDir/<key>/`. Starting the lab again resumes every VM exactly
 * where it was (processes, containers, files, addresses), with only its clock set forward.
 *   <host>.ram  <host>.qcow2  saved.json (written last: a folder without it is not a saved lab)
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Accel } from './vm.ts';
import type { HostRecord } from './lab.ts';
import { savedDir } from './paths.ts';

export interface SavedLab {
  hosts: HostRecord[];
  memoryMb: number;
  cpus: number;
  accel: Accel;
  /** The kernel and initrd the VMs were started with, and their disks' backing file. */
  kernel: string;
  initrd: string;
  backing: string;
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
  return saved;
}

export function writeSaved(dir: string, saved: SavedLab): void {
  fs.writeFileSync(path.join(dir, 'saved.json.tmp'), JSON.stringify(saved, null, 2));
  fs.renameSync(path.join(dir, 'saved.json.tmp'), path.join(dir, 'saved.json'));
}

export function forgetSaved(key: string): void {
  fs.rmSync(savedLabDir(key), { recursive: true, force: true });
}

/** Saved labs not resumed for `maxAgeMs`: removed (each holds up to a guest's RAM on disk). */
export function pruneSaved(maxAgeMs: number): string[] {
  if (!fs.existsSync(savedDir)) return [];
  const pruned: string[] = [];
  for (const key of fs.readdirSync(savedDir)) {
    const dir = path.join(savedDir, key);
    if (Date.now() - fs.statSync(dir).mtimeMs > maxAgeMs) {
      fs.rmSync(dir, { recursive: true, force: true });
      pruned.push(key);
    }
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
