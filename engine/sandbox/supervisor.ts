/**
 * The process that runs one lab: the hub, a QEMU per host (resumed from the snapshot or from a
 * saved lab, else booted), each VM's mux socket, and the identity that makes each VM its own. It
 * ends the lab, and removes its folder, on SIGTERM, when its owner process dies, or when a VM dies;
 * on SIGUSR2 it first saves the lab whole (see saved.ts and suspendLab).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startHub } from './hub.ts';
import { createOverlay, ensureImage, findSnapshot } from './image.ts';
import { isAlive } from './image.ts';
import { readLab, writeLab, type LabRecord } from './lab.ts';
import { moveFile, writeSaved, type SavedLab } from './saved.ts';
import { Vm } from './vm.ts';
import { detectAccel } from './vm.ts';
import { logger } from '../log.ts';

const log = logger('supervisor');
const identityScript = fs.readFileSync(path.join(import.meta.dirname, 'guest/identity.sh'), 'utf8');
/** How long a VM may take to answer: a cold boot under TCG takes about a minute. */
const BOOT_TIMEOUT_MS = 240_000;

export async function supervise(dir: string): Promise<void> {
  const started = Date.now();
  let record = readLab(dir);
  record = { ...record, supervisorPid: process.pid };
  writeLab(dir, record);
  const vms: Vm[] = [];
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping lab', { lab: record.id, why });
    await Promise.all(vms.map((vm) => vm.kill()));
    fs.rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  // What the VMs were started from, kept with a saved lab so it can be resumed.
  let origin: Omit<SavedLab, 'hosts' | 'memoryMb' | 'cpus' | 'note' | 'savedAt'> | null = null;
  let ready = false;
  process.on('SIGUSR2', () => {
    if (stopping || !ready || !origin) return;
    stopping = true;
    void save(dir, record, vms, origin).finally(() => {
      fs.rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });

  try {
    const savedDir = path.join(dir, 'saved');
    const saved = record.resumed
      ? (JSON.parse(fs.readFileSync(path.join(savedDir, 'saved.json'), 'utf8')) as SavedLab)
      : null;
    const image = saved ? null : await ensureImage();
    const snapshot = image && !record.cold ? findSnapshot(image, record.memoryMb, record.cpus) : null;
    origin = saved
      ? { accel: saved.accel, kernel: saved.kernel, initrd: saved.initrd, backing: saved.backing }
      : {
          accel: snapshot?.accel ?? detectAccel(image!.kernel),
          kernel: image!.kernel,
          initrd: image!.initrd,
          backing: snapshot?.disk ?? image!.disk,
        };
    const { accel, kernel, initrd, backing } = origin;
    const hubPath = path.join(dir, 'hub.sock');
    await startHub(hubPath);
    for (const host of record.hosts) {
      const disk = path.join(saved ? savedDir : dir, `${host.name}.qcow2`);
      if (!saved) createOverlay(backing, disk);
      const vm = new Vm({
        dir,
        name: host.name,
        kernel,
        initrd,
        disk,
        memoryMb: record.memoryMb,
        cpus: record.cpus,
        mac: host.mac,
        accel,
        hub: hubPath,
        incoming: saved ? path.join(savedDir, `${host.name}.ram`) : snapshot?.ram,
      });
      vms.push(vm);
      void vm.exited.then((code) => void stop(`VM ${host.name} exited (${code})`));
    }
    const from = saved ? 'saved' : snapshot ? 'snapshot' : 'cold';
    const shellMs = await Promise.all(vms.map((vm, i) => bringUp(vm, record, i, started, saved !== null)));
    if (saved) for (const h of record.hosts) fs.rmSync(path.join(savedDir, `${h.name}.ram`), { force: true });
    record = {
      ...record,
      state: 'ready',
      boot: { from, ms: Date.now() - started, shellMs: Math.max(...shellMs) },
    };
    writeLab(dir, record);
    ready = true;
    log.info('lab ready', { lab: record.id, ...record.boot });
  } catch (e) {
    writeLab(dir, { ...record, state: 'failed', error: (e as Error).message });
    log.error('lab failed', { lab: record.id, error: (e as Error).message });
    await Promise.all(vms.map((vm) => vm.kill()));
    // Keep the folder a little so the starter can read why; reapOrphans removes it later.
    setTimeout(() => process.exit(1), 2000);
    return;
  }

  if (record.ownerPid) {
    const owner = record.ownerPid;
    setInterval(() => isAlive(owner) || void stop(`owner ${owner} is gone`), 1000);
  }
}

/**
 * Resumes or boots one VM, gives it its identity (a saved lab's VM keeps its own and only has its
 * clock set), waits for dockerd; returns when its shell was usable.
 */
async function bringUp(
  vm: Vm,
  record: LabRecord,
  index: number,
  started: number,
  saved: boolean,
): Promise<number> {
  const mux = await vm.attach(BOOT_TIMEOUT_MS);
  const shellMs = Date.now() - started;
  const host = record.hosts[index]!;
  const client = await vm.client();
  if (saved) {
    const r = await client.exec(['date', '-s', `@${Math.floor(Date.now() / 1000)}`]);
    if (r.code !== 0) throw new Error(`setting the clock of ${host.name} failed: ${r.stderr}`);
    await vm.waitForDocker(BOOT_TIMEOUT_MS);
    mux.status = { state: 'ready', host: host.name };
    return shellMs;
  }
  const args = [
    host.name,
    `${host.address}/24`,
    host.mac,
    String(Math.floor(Date.now() / 1000)),
    crypto.randomBytes(32).toString('hex'),
    ...record.hosts.map((h) => `${h.name}=${h.address}`),
  ];
  const r = await client.exec(['bash', '-s', '--', ...args], { stdin: identityScript, timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`setting the identity of ${host.name} failed: ${r.stderr}`);
  await vm.waitForDocker(BOOT_TIMEOUT_MS);
  mux.status = { state: 'ready', host: host.name };
  return shellMs;
}

/** Writes each VM's RAM and disk to the folder suspendLab asked for; `saved.json` last, on success. */
async function save(
  dir: string,
  record: LabRecord,
  vms: Vm[],
  origin: Omit<SavedLab, 'hosts' | 'memoryMb' | 'cpus' | 'note' | 'savedAt'>,
): Promise<void> {
  const { dest, note } = JSON.parse(fs.readFileSync(path.join(dir, 'save.json'), 'utf8')) as {
    dest: string;
    note: string;
  };
  const started = Date.now();
  try {
    await Promise.all(vms.map((vm) => vm.saveState(path.join(dest, `${vm.spec.name}.ram`))));
    for (const vm of vms) moveFile(vm.spec.disk, path.join(dest, `${vm.spec.name}.qcow2`));
    const { hosts, memoryMb, cpus } = record;
    writeSaved(dest, { hosts, memoryMb, cpus, ...origin, note, savedAt: new Date().toISOString() });
    log.info('lab saved', { lab: record.id, dest, ms: Date.now() - started });
  } catch (e) {
    log.error('saving the lab failed', { lab: record.id, error: (e as Error).message });
    fs.writeFileSync(path.join(dest, 'error.txt'), (e as Error).message + '\n');
    await Promise.all(vms.map((vm) => vm.kill()));
  }
}
