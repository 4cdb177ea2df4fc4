/**
 * The process that runs one lab: the hub, a QEMU per host (resumed from the snapshot, else booted),
 * each VM's mux socket, and the identity that makes each VM its own. It ends the lab, and removes
 * its folder, on SIGTERM, when its owner process dies, or when a VM dies.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startHub } from './hub.ts';
import { createOverlay, ensureImage, findSnapshot } from './image.ts';
import { isAlive } from './image.ts';
import { readLab, writeLab, type LabRecord } from './lab.ts';
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

  try {
    const image = await ensureImage();
    const snapshot = record.cold ? null : findSnapshot(image, record.memoryMb, record.cpus);
    const hubPath = path.join(dir, 'hub.sock');
    await startHub(hubPath);
    for (const host of record.hosts) {
      const disk = path.join(dir, `${host.name}.qcow2`);
      createOverlay(snapshot ? snapshot.disk : image.disk, disk);
      const vm = new Vm({
        dir,
        name: host.name,
        kernel: image.kernel,
        initrd: image.initrd,
        disk,
        memoryMb: record.memoryMb,
        cpus: record.cpus,
        mac: host.mac,
        accel: snapshot?.accel ?? detectAccel(image.kernel),
        hub: hubPath,
        incoming: snapshot?.ram,
      });
      vms.push(vm);
      void vm.exited.then((code) => void stop(`VM ${host.name} exited (${code})`));
    }
    const shellMs = await Promise.all(vms.map((vm, i) => bringUp(vm, record, i, started)));
    record = {
      ...record,
      state: 'ready',
      boot: { from: snapshot ? 'snapshot' : 'cold', ms: Date.now() - started, shellMs: Math.max(...shellMs) },
    };
    writeLab(dir, record);
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

/** Resumes or boots one VM, gives it its identity, waits for dockerd; returns when its shell was usable. */
async function bringUp(vm: Vm, record: LabRecord, index: number, started: number): Promise<number> {
  const mux = await vm.attach(BOOT_TIMEOUT_MS);
  const shellMs = Date.now() - started;
  const host = record.hosts[index]!;
  const client = await vm.client();
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
