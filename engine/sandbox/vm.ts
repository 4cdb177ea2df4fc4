/**
 * One QEMU virtual machine: its command line, its agent line shared through a Mux, and the three
 * ways it ends (quit, save a snapshot, guest poweroff). KVM is used only where it really works.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GuestClient } from './client.ts';
import { Mux } from './mux.ts';
import { Qmp } from './qmp.ts';
import { cacheDir } from './paths.ts';

export type Accel = 'kvm' | 'tcg';

export interface VmSpec {
  /** Folder for the VM's sockets and logs. */
  dir: string;
  name: string;
  kernel: string;
  initrd: string;
  disk: string;
  memoryMb: number;
  cpus: number;
  mac: string;
  accel: Accel;
  /** Unix socket of the lab's hub, or none for a VM without a network (image provisioning). */
  hub?: string;
  /** RAM state file to resume from (a snapshot) instead of booting. */
  incoming?: string;
}

export const KERNEL_CMDLINE = 'root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet mitigations=off apparmor=0';

export function qemuArgs(spec: VmSpec): string[] {
  const sock = (what: string) => path.join(spec.dir, `${spec.name}.${what}`);
  const accel =
    spec.accel === 'kvm'
      ? ['-accel', 'kvm', '-cpu', 'host']
      : // tb-size bounds the translation cache (MiB): the default grows a TCG VM's RSS by a GiB.
        ['-accel', 'tcg,thread=multi,tb-size=256', '-cpu', 'max'];
  const args = [
    ...['-name', `dockerlab-${spec.name}`, '-machine', 'pc', ...accel],
    ...['-m', String(spec.memoryMb), '-smp', String(spec.cpus), '-nodefaults', '-display', 'none'],
    ...['-serial', `file:${sock('console.log')}`],
    ...['-kernel', spec.kernel, '-initrd', spec.initrd, '-append', KERNEL_CMDLINE],
    ...['-drive', `file=${spec.disk},if=virtio,format=qcow2,cache=unsafe,discard=unmap`],
    ...[
      '-device',
      'virtio-serial-pci',
      '-chardev',
      `socket,id=agent,path=${sock('agent')},server=on,wait=off`,
    ],
    ...['-device', 'virtserialport,chardev=agent,name=org.dockerlab.agent'],
    ...['-object', 'rng-random,id=rng,filename=/dev/urandom', '-device', 'virtio-rng-pci,rng=rng'],
    ...['-qmp', `unix:${sock('qmp')},server=on,wait=off`],
  ];
  if (spec.hub) {
    args.push('-netdev', `stream,id=lan,server=off,addr.type=unix,addr.path=${spec.hub}`);
    args.push('-device', `virtio-net-pci,netdev=lan,mac=${spec.mac}`);
  } else {
    // Same device as with a network (a snapshot needs the same hardware), but no cable.
    args.push('-netdev', 'user,id=lan,restrict=on', '-device', `virtio-net-pci,netdev=lan,mac=${spec.mac}`);
  }
  if (spec.incoming) args.push('-incoming', `exec:cat ${spec.incoming}`);
  return args;
}

export class Vm {
  readonly process: ChildProcess;
  private mux: Mux | null = null;
  private clientPromise: Promise<GuestClient> | null = null;
  readonly exited: Promise<number | null>;

  constructor(readonly spec: VmSpec) {
    fs.mkdirSync(spec.dir, { recursive: true });
    // setpriv: if our process dies, even by SIGKILL, the kernel kills QEMU too.
    this.process = spawn(
      'setpriv',
      ['--pdeathsig', 'SIGKILL', '--', 'qemu-system-x86_64', ...qemuArgs(spec)],
      {
        stdio: ['ignore', 'ignore', fs.openSync(this.file('qemu.log'), 'a')],
      },
    );
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)));
  }

  file(what: string): string {
    return path.join(this.spec.dir, `${this.spec.name}.${what}`);
  }

  /** Connects to the agent line and serves it as a mux socket at `<name>.sock`. */
  async attach(timeoutMs: number): Promise<Mux> {
    if (this.spec.incoming) await this.resume(timeoutMs);
    const agent = await connectWhenReady(this.file('agent'), this.exited, timeoutMs);
    this.mux = new Mux(agent);
    await this.mux.listen(this.file('sock'));
    await this.mux.waitForAgent(timeoutMs);
    return this.mux;
  }

  /**
   * A snapshot is saved from a paused VM, so the resumed one stays paused once its state is
   * loaded: wait for the load, then continue it.
   */
  private async resume(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let qmp: Qmp | null = null;
    while (!qmp) {
      qmp = await Qmp.connect(this.file('qmp')).catch(() => null);
      if (!qmp) {
        if (Date.now() > deadline || this.process.exitCode !== null)
          throw new Error(`QEMU did not start; see ${this.file('qemu.log')}`);
        await sleep(50);
      }
    }
    try {
      for (;;) {
        const { status } = (await qmp.command('query-status')) as { status: string };
        if (status === 'paused' || status === 'postmigrate' || status === 'running') break;
        if (status !== 'inmigrate')
          throw new Error(`resuming the snapshot failed: VM status ${status}; see ${this.file('qemu.log')}`);
        if (Date.now() > deadline) throw new Error('loading the snapshot took too long');
        await sleep(50);
      }
      await qmp.command('cont');
    } finally {
      qmp.close();
    }
  }

  /** A client of our own mux, for the owner's commands (identity, readiness, provisioning). */
  client(): Promise<GuestClient> {
    this.clientPromise ??= GuestClient.connect(this.file('sock'));
    return this.clientPromise;
  }

  /** Polls dockerd's /_ping until it answers. */
  async waitForDocker(timeoutMs: number): Promise<void> {
    const client = await this.client();
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const r = await client.exec(
        ['curl', '-sf', '--unix-socket', '/var/run/docker.sock', 'http://d/_ping'],
        {
          timeoutMs: 10_000,
        },
      );
      if (r.code === 0) return;
      await sleep(500);
    }
    throw new Error(`dockerd did not answer within ${timeoutMs} ms; see ${this.file('console.log')}`);
  }

  /** Pauses the VM and writes its RAM and device state to `ramPath`; the VM is gone afterwards. */
  async saveState(ramPath: string): Promise<void> {
    const qmp = await Qmp.connect(this.file('qmp'));
    await qmp.command('stop');
    await qmp.command('migrate', { uri: `exec:cat > ${ramPath}` });
    for (;;) {
      const info = (await qmp.command('query-migrate')) as { status: string; 'error-desc'?: string };
      if (info.status === 'completed') break;
      if (info.status === 'failed') throw new Error(`saving the VM state failed: ${info['error-desc']}`);
      await sleep(200);
    }
    await qmp.command('quit').catch(() => undefined);
    qmp.close();
    await this.exited;
  }

  /** Ends the VM now. The disk is throwaway, so there is nothing to flush. Safe to call twice. */
  async kill(): Promise<void> {
    this.mux?.close();
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.exited;
  }
}

async function connectWhenReady(socketPath: string, exited: Promise<unknown>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let dead = false;
  void exited.then(() => (dead = true));
  while (Date.now() < deadline && !dead) {
    try {
      return await new Promise<net.Socket>((resolve, reject) => {
        const s = net.createConnection(socketPath, () => resolve(s));
        s.once('error', reject);
      });
    } catch {
      await sleep(100);
    }
  }
  throw new Error(dead ? 'QEMU exited while starting; see its qemu.log' : `no agent socket at ${socketPath}`);
}

/**
 * Whether KVM really works here: /dev/kvm existing proves nothing (on some machines guests hang).
 * Boots the kernel for a few seconds and looks for its first words on the serial console.
 */
export function detectAccel(kernel: string): Accel {
  if (process.env.DOCKERLAB_ACCEL === 'tcg' || process.env.DOCKERLAB_ACCEL === 'kvm')
    return process.env.DOCKERLAB_ACCEL;
  const marker = path.join(cacheDir, 'accel');
  const bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  try {
    const [id, accel] = fs.readFileSync(marker, 'utf8').trim().split(' ');
    if (id === bootId && (accel === 'kvm' || accel === 'tcg')) return accel;
  } catch {
    // not probed since this host booted
  }
  let accel: Accel = 'tcg';
  if (fs.existsSync('/dev/kvm')) {
    const r = spawnSync(
      'timeout',
      [
        '8',
        'qemu-system-x86_64',
        '-accel',
        'kvm',
        '-cpu',
        'host',
        '-m',
        '256',
        '-nodefaults',
        '-display',
        'none',
      ].concat(['-serial', 'stdio', '-kernel', kernel, '-append', 'console=ttyS0 panic=-1', '-no-reboot']),
      { encoding: 'utf8' },
    );
    if (/Linux version/.test(r.stdout ?? '')) accel = 'kvm';
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  fs.writeFileSync(marker, `${bootId} ${accel}\n`);
  return accel;
}
