/**
 * The process that runs one lab: the hub, a QEMU per host (resumed from the snapshot or from a
 * saved lab, else booted), each VM's mux socket, and the identity that makes each VM its own. It
 * ends the lab, and removes its folder, on SIGTERM or when its owner process dies; on SIGUSR2 it
 * first saves the lab whole (see saved.ts and suspendLab).
 *
 * It watches each running VM: QEMU's exit (the guest powered off, or crashed: a guest panic ends
 * QEMU, see vm.ts) and the agent's heartbeat (a ping on the line's channel 0). A VM that ends or
 * stops answering fails the lab: every VM is stopped, the disks are removed, and lab.json keeps
 * state `failed` with the failure, for the lab's handles (lab.ts onFailure) to report. A failed
 * lab is never saved.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LabFailure } from './api.ts';
import { startHub } from './hub.ts';
import { createOverlay, ensureImage, findSlotSnapshot, findSnapshot, type Snapshot } from './image.ts';
import { giveIdentity, refreshIdentity } from './identity.ts';
import { isAlive } from './image.ts';
import { readLab, writeLab, type LabRecord } from './lab.ts';
import type { Mux } from './mux.ts';
import { moveFile, writeSaved, type SavedLab } from './saved.ts';
import { Vm, giveToQemu, machineVersion } from './vm.ts';
import { detectAccel } from './vm.ts';
import { logger } from '../log.ts';

const log = logger('supervisor');
/** How long a VM may take to answer: a cold boot under TCG takes about a minute. */
const BOOT_TIMEOUT_MS = 240_000;
/**
 * The heartbeat: a ping every HEARTBEAT_MS, answered within PING_TIMEOUT_MS; MISSES unanswered in a
 * row (about 45 s: a busy TCG guest, or one paused for a checkpoint, is slow, not dead) fail it.
 */
const HEARTBEAT_MS = 5000;
const PING_TIMEOUT_MS = 10_000;
const MISSES = 3;

export async function supervise(dir: string): Promise<void> {
  const started = Date.now();
  let record = readLab(dir);
  record = { ...record, supervisorPid: process.pid };
  writeLab(dir, record);
  const vms: Vm[] = [];
  const muxes: Mux[] = [];
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
  /** A VM ended or stopped answering: the lab is of no further use (see the header). */
  const fail = async (failure: LabFailure) => {
    if (stopping) return;
    stopping = true;
    log.error('lab failed', { lab: record.id, ...failure });
    await Promise.all(vms.map((vm) => vm.kill()));
    for (const vm of vms) fs.rmSync(vm.spec.disk, { force: true });
    fs.rmSync(path.join(dir, 'saved'), { recursive: true, force: true });
    writeLab(dir, { ...record, state: 'failed', error: failure.detail, failure });
    process.exit(0);
  };
  // What the VMs were started from, kept with a saved lab so it can be resumed.
  let origin: Omit<SavedLab, 'hosts' | 'memoryMb' | 'cpus' | 'note' | 'savedAt' | 'machine'> | null = null;
  let ready = false;
  process.on('SIGUSR2', () => {
    if (stopping || !ready || !origin) return;
    stopping = true;
    void save(dir, record, vms, muxes, origin).finally(() => {
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
    // Each host from its slot's snapshot where the lab asked for them and they are there (see
    // image.ts ensureSlotSnapshot), else from the snapshot (and given its identity anew).
    const slots = new Map<string, Snapshot>();
    for (const host of record.hosts) {
      const s = record.slots && snapshot ? findSlotSnapshot(snapshot, host.name) : null;
      if (s) slots.set(host.name, s);
      else if (record.slots)
        log.warn('no snapshot of this host slot: restarting its dockerd', { host: host.name });
    }
    const first = slots.get(record.hosts[0]!.name);
    origin = saved
      ? { accel: saved.accel, kernel: saved.kernel, initrd: saved.initrd, backing: saved.backing }
      : {
          accel: snapshot?.accel ?? detectAccel(image!.kernel),
          kernel: image!.kernel,
          initrd: image!.initrd,
          // A saved lab checks that its disks' backing file is still there: host1's.
          backing: first?.disk ?? snapshot?.disk ?? image!.disk,
        };
    const { accel, kernel, initrd } = origin;
    if (saved) giveToQemu(savedDir, 0o700); // QEMU opens the disks in it
    const hubPath = path.join(dir, 'hub.sock');
    await startHub(hubPath);
    for (const host of record.hosts) {
      const disk = path.join(saved ? savedDir : dir, `${host.name}.qcow2`);
      const fromSlot = slots.get(host.name);
      if (!saved) createOverlay(fromSlot?.disk ?? snapshot?.disk ?? image!.disk, disk);
      const vm = await Vm.start({
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
        incoming: saved ? path.join(savedDir, `${host.name}.ram`) : (fromSlot?.ram ?? snapshot?.ram),
        cgroup: `${record.id}.${host.name}`,
      });
      vms.push(vm);
      void vm.exited.then(() => {
        if (ready) void fail({ host: host.name, ...vm.end() });
        else log.error('a VM ended while the lab started', { lab: record.id, host: host.name, ...vm.end() });
      });
    }
    const from = saved
      ? 'saved'
      : slots.size === record.hosts.length
        ? 'slot'
        : snapshot
          ? 'snapshot'
          : 'cold';
    const shellMs = await Promise.all(
      vms.map(async (vm, i) => {
        const how = saved ? 'saved' : slots.has(record.hosts[i]!.name) ? 'slot' : 'fresh';
        const { mux, shellMs } = await bringUp(vm, record, i, started, how);
        muxes[i] = mux;
        return shellMs;
      }),
    );
    if (saved) for (const h of record.hosts) fs.rmSync(path.join(savedDir, `${h.name}.ram`), { force: true });
    record = {
      ...record,
      state: 'ready',
      boot: { from, ms: Date.now() - started, shellMs: Math.max(...shellMs) },
    };
    writeLab(dir, record);
    ready = true;
    log.info('lab ready', { lab: record.id, ...record.boot });
    vms.forEach((vm, i) => void heartbeat(vm, muxes[i]!, record.hosts[i]!.name, fail));
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

/** Pings the VM's agent until the lab ends; a line that breaks or MISSES silences fail the lab. */
async function heartbeat(vm: Vm, mux: Mux, host: string, fail: (f: LabFailure) => Promise<void>) {
  mux.onCorrupt(
    (reason) => void fail({ host, cause: 'unresponsive', detail: `the agent line broke: ${reason}` }),
  );
  let misses = 0;
  for (;;) {
    await sleep(HEARTBEAT_MS);
    if (vm.process.exitCode !== null || vm.process.signalCode !== null) return; // its exit reports
    try {
      await mux.waitForAgent(PING_TIMEOUT_MS, PING_TIMEOUT_MS);
      misses = 0;
    } catch (e) {
      if (++misses < MISSES) continue;
      const silent = Math.round((MISSES * (HEARTBEAT_MS + PING_TIMEOUT_MS)) / 1000);
      const detail = `the guest agent did not answer for about ${silent} s (${(e as Error).message}); last console lines:\n${vm.console.tail(12)}`;
      await fail({ host, cause: 'unresponsive', detail });
      return;
    }
  }
}

/**
 * Resumes or boots one VM and makes it this lab's: a saved lab's VM keeps its identity and only
 * has its clock set; one restored from its slot's snapshot has the slot's identity already and gets
 * the clock, randomness and the lab's hosts; any other is given its whole identity (which restarts
 * dockerd). Waits for dockerd; returns the VM's mux and when its shell was usable.
 */
async function bringUp(
  vm: Vm,
  record: LabRecord,
  index: number,
  started: number,
  how: 'saved' | 'slot' | 'fresh',
): Promise<{ mux: Mux; shellMs: number }> {
  const mux = await vm.attach(BOOT_TIMEOUT_MS);
  const shellMs = Date.now() - started;
  const host = record.hosts[index]!;
  const client = await vm.client();
  if (how === 'saved') {
    const r = await client.exec(['date', '-s', `@${Math.floor(Date.now() / 1000)}`]);
    if (r.code !== 0) throw new Error(`setting the clock of ${host.name} failed: ${r.stderr}`);
  } else if (how === 'slot') {
    const { dockerReady } = await refreshIdentity(client, host.name, record.hosts);
    if (dockerReady) {
      mux.status = { state: 'ready', host: host.name };
      return { mux, shellMs };
    }
  } else {
    await giveIdentity(client, host, record.hosts);
  }
  await vm.waitForDocker(BOOT_TIMEOUT_MS);
  mux.status = { state: 'ready', host: host.name };
  return { mux, shellMs };
}

/**
 * Writes each VM's RAM and disk to the folder suspendLab asked for; `saved.json` last, on success.
 * A lab whose agents do not answer is wedged (a hung guest): it is not saved, to be resumed as is.
 */
async function save(
  dir: string,
  record: LabRecord,
  vms: Vm[],
  muxes: Mux[],
  origin: Omit<SavedLab, 'hosts' | 'memoryMb' | 'cpus' | 'note' | 'savedAt' | 'machine'>,
): Promise<void> {
  const { dest, note } = JSON.parse(fs.readFileSync(path.join(dir, 'save.json'), 'utf8')) as {
    dest: string;
    note: string;
  };
  const started = Date.now();
  try {
    await Promise.all(
      muxes.map((mux, i) =>
        mux.waitForAgent(PING_TIMEOUT_MS).catch(() => {
          throw new Error(`not saved: ${vms[i]!.spec.name} does not answer (a wedged VM is not kept)`);
        }),
      ),
    );
    await Promise.all(vms.map((vm) => vm.saveState(path.join(dest, `${vm.spec.name}.ram`))));
    for (const vm of vms) {
      const disk = path.join(dest, `${vm.spec.name}.qcow2`);
      moveFile(vm.spec.disk, disk);
      if (process.getuid?.() === 0) fs.chownSync(disk, 0, 0); // QEMU's no longer, until resumed
      fs.chmodSync(disk, 0o600);
    }
    const { hosts, memoryMb, cpus } = record;
    const machine = machineVersion();
    writeSaved(dest, { hosts, memoryMb, cpus, ...origin, machine, note, savedAt: new Date().toISOString() });
    log.info('lab saved', { lab: record.id, dest, ms: Date.now() - started });
  } catch (e) {
    log.error('saving the lab failed', { lab: record.id, error: (e as Error).message });
    fs.writeFileSync(path.join(dest, 'error.txt'), (e as Error).message + '\n');
    await Promise.all(vms.map((vm) => vm.kill()));
  }
}
