/**
 * The VM image and its snapshots, cached under cacheDir and keyed by a hash of their inputs:
 *   images/<hash>/{vmlinuz,initrd.img,disk.qcow2}     built by image/build.sh, then provisioned
 *   snapshots/<hash>-<machine>-<accel>-<mem>m-<cpus>c/{disk.qcow2,ram.state}   a booted VM with dockerd ready
 * A change to anything under image/ or to the guest files rebuilds the image; a change to the
 * machine (QEMU devices, kernel command line: vm.ts machineVersion) only remakes the snapshots.
 * Everything here is the same for every learner: files are root's, readable by QEMU's user.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { cacheDir, guestSpareStatus } from './paths.ts';
import { Vm, detectAccel, giveToQemu, machineVersion, type Accel } from './vm.ts';
import { startHub } from './hub.ts';
import { giveIdentity, slot } from './identity.ts';
import { logger } from '../log.ts';

const log = logger('image');
const here = import.meta.dirname;
/** Guest files that are sent at run time rather than baked in, so changing them needs no rebuild. */
const RUNTIME_ONLY = new Set(['identity.sh', 'restore.pl']);
/** The images pulled into dockerd while provisioning (the registry mirror serves them all). */
const PRELOADED = ['busybox', 'debian', 'nginx', 'redis', 'mariadb', 'python', 'hello-world', 'registry'];

export interface ImagePaths {
  dir: string;
  kernel: string;
  initrd: string;
  disk: string;
}

export interface Snapshot {
  dir: string;
  disk: string;
  ram: string;
  accel: Accel;
}

export type Progress = (event: { step: number; total: number; label: string }) => void;

export function inputsHash(): string {
  const hash = crypto.createHash('sha256');
  for (const dir of ['image', 'guest']) {
    for (const file of listFiles(path.join(here, dir))) {
      if (RUNTIME_ONLY.has(path.basename(file))) continue;
      hash.update(path.relative(here, file)).update('\0').update(fs.readFileSync(file)).update('\0');
    }
  }
  // Build settings that change the image; unset means the default and leaves the hash as it was.
  if (process.env.DOCKERLAB_DISK_SIZE) hash.update(`disk=${process.env.DOCKERLAB_DISK_SIZE}`);
  return hash.digest('hex').slice(0, 16);
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && !e.parentPath.includes('__pycache__'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

export function imagePaths(hash = inputsHash()): ImagePaths {
  const dir = path.join(cacheDir, 'images', hash);
  return {
    dir,
    kernel: path.join(dir, 'vmlinuz'),
    initrd: path.join(dir, 'initrd.img'),
    disk: path.join(dir, 'disk.qcow2'),
  };
}

export function imageReady(hash = inputsHash()): boolean {
  return fs.existsSync(path.join(imagePaths(hash).dir, 'READY'));
}

/** Builds (from Debian packages) and provisions the image unless the cache has it. */
export async function ensureImage(progress: Progress = () => {}): Promise<ImagePaths> {
  const hash = inputsHash();
  const paths = imagePaths(hash);
  if (imageReady(hash)) return paths;
  return withLock('build', async () => {
    if (imageReady(hash)) return paths;
    const tmp = paths.dir + '.tmp';
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: true });
    const total = 8;
    const started = Date.now();
    // Seconds per step (build.sh reports its own; issue 12 wants to see where a build's time goes).
    const steps: { step: number; label: string; s: number }[] = [];
    const labels = new Map<number, string>();
    const took = (step: number, s: number) => {
      steps.push({ step, label: labels.get(step) ?? '', s });
      log.info('image build step', { step, label: labels.get(step), s });
    };
    const onStep = (step: number, label: string) => {
      labels.set(step, label);
      progress({ step, total, label });
    };
    await runBuildScript(tmp, onStep, took);
    const loading = Date.now();
    onStep(7, '在虚拟机里载入镜像 / loading the images into dockerd');
    await provision({
      dir: tmp,
      kernel: path.join(tmp, 'vmlinuz'),
      initrd: path.join(tmp, 'initrd.img'),
      disk: path.join(tmp, 'disk.qcow2'),
    });
    took(7, Math.round((Date.now() - loading) / 1000));
    progress({ step: 8, total, label: '完成 / done' });
    fs.rmSync(paths.dir, { recursive: true, force: true });
    fs.renameSync(tmp, paths.dir);
    fs.writeFileSync(
      path.join(paths.dir, 'READY'),
      JSON.stringify({ at: new Date().toISOString(), buildMs: Date.now() - started, steps }) + '\n',
    );
    // Older images and their snapshots are dead weight once a new one is built.
    for (const old of fs.readdirSync(path.join(cacheDir, 'images'))) {
      if (old !== hash) fs.rmSync(path.join(cacheDir, 'images', old), { recursive: true, force: true });
    }
    return paths;
  });
}

function runBuildScript(
  out: string,
  onStep: (step: number, label: string) => void,
  onTime: (step: number, seconds: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(here, 'image/build.sh'), out], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const remember = (line: string) => (tail.push(line), tail.length > 30 && tail.shift());
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^::step (\d+)\/\d+ (.*)$/.exec(line);
      const t = /^::time (\d+) (\d+)$/.exec(line);
      if (m) onStep(Number(m[1]), m[2]!);
      else if (t) onTime(Number(t[1]), Number(t[2]));
      else remember(line);
    });
    readline.createInterface({ input: child.stderr }).on('line', remember);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`image build failed (exit ${code}); last lines:\n${tail.join('\n')}`)),
    );
  });
}

/** Boots the fresh image once to pull the offline images into dockerd, then powers it off. */
async function provision(image: ImagePaths): Promise<void> {
  const accel = detectAccel(image.kernel);
  const run = path.join(image.dir, 'run'); // QEMU's sockets and logs
  const vm = await Vm.start({
    ...image,
    dir: run,
    name: 'provision',
    memoryMb: 2048,
    cpus: 2,
    mac: '52:54:00:00:00:01',
    accel,
  });
  try {
    await vm.attach(300_000);
    await vm.waitForDocker(300_000);
    const client = await vm.client();
    // All at once: dockerd fetches the shared base layer once and unpacks the images side by side,
    // on both vCPUs (one after another, most of the time went to one image's unpacking at a time).
    await Promise.all(
      PRELOADED.map(async (name) => {
        const r = await client.exec(['docker', 'pull', '-q', name], { timeoutMs: 900_000 });
        if (r.code !== 0)
          throw new Error(`docker pull ${name} from the VM's mirror failed: ${r.stderr || r.stdout}`);
        log.info('pulled', { image: name });
      }),
    );
    await client
      .exec(['bash', '-c', 'fstrim -a; sync; systemctl poweroff'], { timeoutMs: 60_000 })
      .catch(() => undefined);
    // A timer left running would keep this process alive for its length after the work is done.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([vm.exited, new Promise((r) => (timer = setTimeout(r, 120_000)))]);
    clearTimeout(timer);
  } finally {
    await vm.kill();
    fs.rmSync(run, { recursive: true, force: true });
    keepAsRoot(image.disk);
  }
}

/** A file QEMU wrote that labs now share: root's again, read-only to QEMU's user. */
function keepAsRoot(file: string): void {
  if (process.getuid?.() === 0) fs.chownSync(file, 0, 0);
  fs.chmodSync(file, 0o644);
}

export function snapshotDir(image: ImagePaths, accel: Accel, memoryMb: number, cpus: number): string {
  const name = `${path.basename(image.dir)}-${machineVersion()}-${accel}-${memoryMb}m-${cpus}c`;
  return path.join(cacheDir, 'snapshots', name);
}

export function findSnapshot(image: ImagePaths, memoryMb: number, cpus: number): Snapshot | null {
  const accel = detectAccel(image.kernel);
  const dir = snapshotDir(image, accel, memoryMb, cpus);
  if (!fs.existsSync(path.join(dir, 'READY'))) return null;
  return { dir, disk: path.join(dir, 'disk.qcow2'), ram: path.join(dir, 'ram.state'), accel };
}

/** Cold-boots a VM until dockerd is ready and saves it; later labs resume from it in seconds. */
export async function ensureSnapshot(image: ImagePaths, memoryMb: number, cpus: number): Promise<Snapshot> {
  const found = findSnapshot(image, memoryMb, cpus);
  if (found) return found;
  return withLock('snapshot', async () => {
    const again = findSnapshot(image, memoryMb, cpus);
    if (again) return again;
    const accel = detectAccel(image.kernel);
    const dir = snapshotDir(image, accel, memoryMb, cpus);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const disk = path.join(dir, 'disk.qcow2');
    createOverlay(image.disk, disk);
    const run = path.join(dir, 'run'); // QEMU's sockets and logs
    fs.mkdirSync(run);
    giveToQemu(run, 0o700);
    const hub = await startHub(path.join(run, 'hub.sock'));
    let vm: Vm | null = null;
    try {
      vm = await Vm.start({
        ...image,
        dir: run,
        name: 'snap',
        disk,
        memoryMb,
        cpus,
        mac: '52:54:00:00:00:02',
        accel,
        hub: path.join(run, 'hub.sock'),
      });
      await vm.attach(300_000);
      await vm.waitForDocker(300_000);
      const client = await vm.client();
      // Settle: let boot-time jobs finish so they do not all run again in every restored VM.
      await client.exec(['bash', '-c', 'systemctl is-system-running --wait >/dev/null; sync'], {
        timeoutMs: 120_000,
      });
      await vm.saveState(path.join(dir, 'ram.state'));
    } finally {
      await vm?.kill();
      hub.close();
    }
    fs.rmSync(run, { recursive: true, force: true });
    keepAsRoot(disk);
    keepAsRoot(path.join(dir, 'ram.state'));
    fs.writeFileSync(path.join(dir, 'READY'), new Date().toISOString() + '\n');
    // Snapshots of another image can no longer be resumed. Those of another machine (vm.ts) stay
    // until the image changes: a process started before vm.ts changed may still be using them.
    const prefix = `${path.basename(image.dir)}-`;
    for (const old of fs.readdirSync(path.join(cacheDir, 'snapshots'))) {
      if (!old.startsWith(prefix))
        fs.rmSync(path.join(cacheDir, 'snapshots', old), { recursive: true, force: true });
    }
    return { dir, disk, ram: path.join(dir, 'ram.state'), accel };
  });
}

/**
 * Snapshots per host slot (host1, host2, …): the snapshot above, resumed once, given the slot's
 * identity (hostname, address, MAC, machine-id, dockerd engine id: identity.ts) and saved again, in
 * `<snapshot>-<slot>/` next to it, its disk an overlay of the snapshot's. A lab's VM restored from
 * its slot's snapshot only needs its clock and randomness set: no dockerd restart. Identities are
 * then the same in every lab, which cannot see each other, and differ within a lab. Such a snapshot
 * is only used while the snapshot it was made from is the one it names (READY), so remaking that
 * one (`sandbox snapshot`) remakes these.
 */
export function slotSnapshotDir(base: Snapshot, slotName: string): string {
  return `${base.dir}-${slot(slotName).name}`;
}

function baseStamp(base: Snapshot): string {
  return fs.readFileSync(path.join(base.dir, 'READY'), 'utf8').trim();
}

export function findSlotSnapshot(base: Snapshot, slotName: string): Snapshot | null {
  const dir = slotSnapshotDir(base, slotName);
  try {
    const ready = JSON.parse(fs.readFileSync(path.join(dir, 'READY'), 'utf8')) as { base?: string };
    if (ready.base !== baseStamp(base)) return null;
  } catch {
    return null;
  }
  return { dir, disk: path.join(dir, 'disk.qcow2'), ram: path.join(dir, 'ram.state'), accel: base.accel };
}

/** The snapshot of host slot `slotName`, made from `base` if there is none yet (about 20 s under TCG). */
export async function ensureSlotSnapshot(
  image: ImagePaths,
  base: Snapshot,
  slotName: string,
): Promise<Snapshot> {
  const found = findSlotSnapshot(base, slotName);
  if (found) return found;
  return withLock(`snapshot-${slotName}`, async () => {
    const again = findSlotSnapshot(base, slotName);
    if (again) return again;
    const identity = slot(slotName);
    const dir = slotSnapshotDir(base, slotName);
    const started = Date.now();
    // Only this slot's own folder, and only when it was made from another snapshot: labs running
    // from it keep their open files.
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const disk = path.join(dir, 'disk.qcow2');
    createOverlay(base.disk, disk);
    const run = path.join(dir, 'run');
    fs.mkdirSync(run);
    giveToQemu(run, 0o700);
    const hub = await startHub(path.join(run, 'hub.sock'));
    const { memoryMb, cpus } = readSnapshotSize(base);
    let vm: Vm | null = null;
    try {
      vm = await Vm.start({
        ...image,
        dir: run,
        name: 'slot',
        disk,
        memoryMb,
        cpus,
        mac: identity.mac,
        accel: base.accel,
        hub: path.join(run, 'hub.sock'),
        incoming: base.ram,
      });
      await vm.attach(300_000);
      const client = await vm.client();
      await giveIdentity(client, identity, [identity]);
      await vm.waitForDocker(300_000);
      // Settle: dockerd's restart and the reload identity.sh leaves running in the background.
      await client.exec(
        [
          'bash',
          '-c',
          // (Dropping the caches here was tried: 147 -> 136 MiB, since most of the cache is the
          // mapped binaries of running daemons; the RAM state stayed 438 MB.)
          'systemctl is-system-running --wait >/dev/null; while pgrep -x systemctl >/dev/null; do sleep 0.2; done; ' +
            // The agent's spare shell (agent.py, Spare), remade under the slot's name, at its prompt.
            `until grep -qs " $(hostname) ready" ${guestSpareStatus}; do sleep 0.1; done; sync`,
        ],
        { timeoutMs: 120_000 },
      );
      await vm.saveState(path.join(dir, 'ram.state'));
    } finally {
      await vm?.kill();
      hub.close();
    }
    fs.rmSync(run, { recursive: true, force: true });
    keepAsRoot(disk);
    keepAsRoot(path.join(dir, 'ram.state'));
    fs.writeFileSync(
      path.join(dir, 'READY'),
      JSON.stringify({ base: baseStamp(base), at: new Date().toISOString(), ms: Date.now() - started }) +
        '\n',
    );
    log.info('slot snapshot made', { slot: slotName, ms: Date.now() - started });
    return { dir, disk, ram: path.join(dir, 'ram.state'), accel: base.accel };
  });
}

/** The guest memory and CPUs a snapshot was made with, from its folder's name (…-<mem>m-<cpus>c). */
function readSnapshotSize(s: Snapshot): { memoryMb: number; cpus: number } {
  const m = /-(\d+)m-(\d+)c$/.exec(path.basename(s.dir));
  if (!m) throw new Error(`cannot read the memory and CPUs of snapshot ${s.dir}`);
  return { memoryMb: Number(m[1]), cpus: Number(m[2]) };
}

export function createOverlay(backing: string, file: string): void {
  const r = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', backing, file], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`qemu-img create ${file} failed: ${r.stderr}`);
}

/** One builder at a time per cache: a second process waits for the first one's result. */
async function withLock<T>(name: string, work: () => Promise<T>): Promise<T> {
  const lock = path.join(cacheDir, `${name}.lock`);
  fs.mkdirSync(cacheDir, { recursive: true });
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch {
      const holder = Number(fs.readFileSync(lock, 'utf8'));
      if (!isAlive(holder)) fs.rmSync(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Whether a process runs (a zombie, dead but not yet reaped by its parent, does not). */
export function isAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
