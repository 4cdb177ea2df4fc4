/**
 * One QEMU virtual machine: its command line, its agent line shared through a Mux, and the ways it
 * ends (quit, save a snapshot, guest poweroff, guest panic). KVM is used only where it really works.
 *
 * QEMU is held in: its own cgroup (memory, tasks, CPU weight: cgroup.ts), an unprivileged user
 * (`dockerlab`, made by setup, when we are root), QEMU's seccomp sandbox (no exec, no privilege
 * changes, no scheduler changes), and death with its parent (setpriv --pdeathsig). It opens no
 * file by name after it starts: a snapshot's RAM comes in on an inherited descriptor, a saved
 * state leaves through a socket we write to a file, the console goes to a ring (console.ts).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { VmCgroup, cgroupSupport } from './cgroup.ts';
import { GuestClient } from './client.ts';
import { ConsoleRing } from './console.ts';
import { Mux } from './mux.ts';
import { Qmp } from './qmp.ts';
import { cacheDir } from './paths.ts';
import { logger } from '../log.ts';

const log = logger('vm');

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
  /** Name of this VM's cgroup (host limits), e.g. `<lab>.<host>`; none for no cgroup. */
  cgroup?: string;
}

/**
 * A guest panic (or oops) reboots at once, and -no-reboot turns a reboot into QEMU's exit; with the
 * pvpanic device QEMU learns of the panic first and exits with status 1 (-action panic=exit-failure).
 */
export const KERNEL_CMDLINE =
  'root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet mitigations=off apparmor=0 panic=-1 oops=panic ' +
  // Less periodic work in an idle guest (docs/bench.md, "QEMU settings under TCG"): no pressure
  // stall accounting, no soft-lockup watchdog, vmstat every 10 s, no proactive compaction.
  'psi=0 nowatchdog sysctl.vm.stat_interval=10 sysctl.vm.compaction_proactiveness=0 ' +
  // Less work per process, which under TCG is what a lesson waits for (docs/bench.md, "Translated
  // once"): no address-space randomization, since QEMU 7.2 keys translated code by the guest's
  // virtual address, so every process of a randomized PIE binary (each `docker` command, runc, the
  // shims) was translated afresh and the 256 MiB cache filled and was flushed every minute or so;
  // pages not zeroed twice (the kernel clears what a process gets anyway); no security modules
  // besides capabilities (AppArmor was already off; seccomp is not one). The guest is a disposable
  // lab whose user is root; nothing in the course looks at ASLR or an LSM.
  'norandmaps init_on_alloc=0 lsm=capability';
/** No exec (so no `exec:` migration), no setuid, no scheduler or resource changes, no old syscalls. */
const SECCOMP = 'on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny';
/**
 * Memory QEMU may use above the guest's RAM: its own (~150 MiB), TCG's translation cache (256 MiB),
 * and page cache for its disk (charged to it, reclaimed at the cap). At guest + 512 a memory bomb
 * in the guest took QEMU to the cap (page cache reclaimed, nothing killed); 640 leaves a margin.
 */
const OVERHEAD_MB = { kvm: 256, tcg: 640 };

/** The memory cap of a VM's cgroup. */
export function vmMemoryCap(memoryMb: number, accel: Accel): number {
  return (memoryMb + OVERHEAD_MB[accel]) * 2 ** 20;
}
/** QEMU's threads: one per vCPU, I/O workers (up to 64), and a few of its own. */
const MAX_TASKS = 256;

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
    ...['-chardev', `socket,id=console,path=${sock('console.sock')}`, '-serial', 'chardev:console'],
    ...['-kernel', spec.kernel, '-initrd', spec.initrd, '-append', KERNEL_CMDLINE],
    ...['-no-reboot', '-action', 'panic=exit-failure', '-device', 'pvpanic'],
    ...['-sandbox', SECCOMP],
    ...['-drive', `file=${spec.disk},if=virtio,format=qcow2,cache=unsafe,discard=unmap`],
    ...[
      '-device',
      'virtio-serial-pci',
      '-chardev',
      `socket,id=agent,path=${sock('agent')},server=on,wait=off`,
    ],
    ...['-device', 'virtserialport,chardev=agent,name=org.dockerlab.agent'],
    ...['-object', 'rng-random,id=rng,filename=/dev/urandom', '-device', 'virtio-rng-pci,rng=rng'],
    // The guest reports pages it freed and QEMU gives them back to the host: an idle lab holds what
    // its guest uses, not every page it ever touched.
    ...['-device', 'virtio-balloon-pci,free-page-reporting=on'],
    ...['-qmp', `unix:${sock('qmp')},server=on,wait=off`],
  ];
  if (spec.hub) {
    args.push('-netdev', `stream,id=lan,server=off,addr.type=unix,addr.path=${spec.hub}`);
    args.push('-device', `virtio-net-pci,netdev=lan,mac=${spec.mac}`);
  } else {
    // Same device as with a network (a snapshot needs the same hardware), but no cable.
    args.push('-netdev', 'user,id=lan,restrict=on', '-device', `virtio-net-pci,netdev=lan,mac=${spec.mac}`);
  }
  if (spec.incoming) args.push('-incoming', 'fd:3'); // the file, opened by us (see Vm.start)
  return args;
}

/**
 * What a snapshot's or saved lab's RAM state depends on besides the image, accelerator, memory and
 * CPUs: the machine's devices and kernel command line. Part of snapshot keys, kept with saved labs.
 */
export function machineVersion(): string {
  const spec: VmSpec = {
    ...{ dir: '/d', name: 'n', kernel: '/k', initrd: '/i', disk: '/d', memoryMb: 1, cpus: 1 },
    ...{ mac: '52:54:00:00:00:00', accel: 'tcg', hub: '/h' },
  };
  return crypto.createHash('sha256').update(qemuArgs(spec).join('\0')).digest('hex').slice(0, 8);
}

/** The unprivileged user QEMU runs as when we are root; null: QEMU runs as we do. */
export function qemuUser(): { name: string; uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const name = process.env.DOCKERLAB_QEMU_USER ?? 'dockerlab';
  const entry = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((l) => l.split(':'))
    .find((f) => f[0] === name);
  if (!entry) {
    warnOnce(`QEMU runs as root: there is no user "${name}" (scripts/setup.sh creates it)`);
    return null;
  }
  return { name, uid: Number(entry[2]), gid: Number(entry[3]) };
}

/** Makes `file` QEMU's own (when QEMU runs as another user than we do). */
export function giveToQemu(file: string, mode?: number): void {
  const user = qemuUser();
  if (user) fs.chownSync(file, user.uid, user.gid);
  if (mode !== undefined) fs.chmodSync(file, mode);
}

const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  log.warn(message);
}

/**
 * `argv` run inside `cgroup`: a shell joins it first and then becomes the program, so the program
 * is limited from its first allocation.
 */
export function inCgroup(cgroup: VmCgroup | null, argv: string[]): string[] {
  if (!cgroup) return argv;
  const join = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
  return ['sh', '-c', join, 'vm', ...cgroup.procsFiles(), '--', ...argv];
}

/** How a VM ended on its own: the guest powered off (or rebooted), or it crashed. */
export interface VmEnd {
  cause: 'poweroff' | 'crash';
  detail: string;
}

export class Vm {
  private mux: Mux | null = null;
  private clientPromise: Promise<GuestClient> | null = null;
  readonly exited: Promise<number | null>;
  private signal: NodeJS.Signals | null = null;

  private constructor(
    readonly spec: VmSpec,
    readonly process: ChildProcess,
    readonly console: ConsoleRing,
    readonly cgroup: VmCgroup | null,
  ) {
    this.exited = new Promise((resolve) =>
      process.once('exit', (code, signal) => {
        this.signal = signal;
        console.close();
        this.closeConnections();
        resolve(code);
      }),
    );
  }

  /** Starts QEMU (resuming `spec.incoming` if set); `attach` then waits for its agent. */
  static async start(spec: VmSpec): Promise<Vm> {
    fs.mkdirSync(spec.dir, { recursive: true });
    giveToQemu(spec.dir, 0o700);
    giveToQemu(spec.disk, 0o600);
    if (spec.hub) giveToQemu(spec.hub);
    const file = (what: string) => path.join(spec.dir, `${spec.name}.${what}`);
    const ring = await ConsoleRing.listen(file('console.sock'), file('console.log'));
    giveToQemu(file('console.sock'));
    let cgroup: VmCgroup | null = null;
    if (spec.cgroup) {
      const support = cgroupSupport();
      if (support.version === null) warnOnce(`VMs run without host limits: ${support.why}`);
      cgroup = VmCgroup.create(spec.cgroup, {
        memoryBytes: vmMemoryCap(spec.memoryMb, spec.accel),
        tasks: MAX_TASKS,
        cpuWeight: 100,
      });
    }
    const user = qemuUser();
    // setpriv: if our process dies, even by SIGKILL, the kernel kills QEMU too (it sets the signal
    // after changing user, which would otherwise clear it).
    const setpriv = ['setpriv', '--pdeathsig', 'SIGKILL', '--no-new-privs'];
    if (user) setpriv.push('--reuid', user.name, '--regid', user.name, '--init-groups');
    const argv = [...setpriv, '--', 'qemu-system-x86_64', ...qemuArgs(spec)];
    const command = inCgroup(cgroup, argv);
    const stderr = fs.openSync(file('qemu.log'), 'a');
    const ram = spec.incoming ? fs.openSync(spec.incoming, 'r') : 'ignore';
    try {
      const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', stderr, ram] });
      return new Vm(spec, child, ring, cgroup);
    } finally {
      fs.closeSync(stderr);
      if (typeof ram === 'number') fs.closeSync(ram);
    }
  }

  /** Why the VM ended by itself (call once `exited` resolved). */
  end(): VmEnd {
    const code = this.process.exitCode;
    const tail = this.console.tail(12);
    const oom = this.cgroup?.memory().oomKills ?? 0;
    const panic = /Kernel panic|end trace/.test(tail);
    const how = code !== null ? `QEMU exited with status ${code}` : `QEMU was killed by ${this.signal}`;
    const detail = [
      how,
      oom ? `the host's memory limit for this VM killed it (${oom}×)` : '',
      panic ? 'the guest kernel panicked' : '',
      `last console lines:\n${tail}`,
    ]
      .filter(Boolean)
      .join('; ');
    return { cause: code === 0 && !panic ? 'poweroff' : 'crash', detail };
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
    const started = Date.now();
    const deadline = started + timeoutMs;
    let qmp: Qmp | null = null;
    // Short polls: each one's wait is part of a new lab's start.
    while (!qmp) {
      qmp = await Qmp.connect(this.file('qmp')).catch(() => null);
      if (!qmp) {
        if (Date.now() > deadline || this.process.exitCode !== null)
          throw new Error(`QEMU did not start; see ${this.file('qemu.log')}`);
        await sleep(10);
      }
    }
    try {
      const qmpMs = Date.now() - started;
      for (;;) {
        const { status } = (await qmp.command('query-status')) as { status: string };
        if (status === 'paused' || status === 'postmigrate' || status === 'running') break;
        if (status !== 'inmigrate')
          throw new Error(`resuming the snapshot failed: VM status ${status}; see ${this.file('qemu.log')}`);
        if (Date.now() > deadline) throw new Error('loading the snapshot took too long');
        await sleep(10);
      }
      await qmp.command('cont');
      log.info('resumed', { vm: this.spec.name, qmpMs, loadedMs: Date.now() - started });
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

  /**
   * Pauses the VM and writes its RAM and device state to `ramPath` (0600); the VM is gone
   * afterwards. QEMU may not open files or run programs (its sandbox): it sends the state to a
   * socket of ours, and we write the file.
   */
  async saveState(ramPath: string): Promise<void> {
    const socketPath = this.file('migrate.sock');
    fs.rmSync(socketPath, { force: true });
    const server = net.createServer();
    const written = new Promise<void>((resolve, reject) => {
      server.once('connection', (socket) => {
        const out = fs.createWriteStream(ramPath, { mode: 0o600 });
        socket.pipe(out);
        socket.once('error', reject);
        out.once('error', reject);
        out.once('finish', resolve);
      });
    });
    written.catch(() => undefined); // awaited below; a failed migration reports itself first
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, resolve);
    });
    giveToQemu(socketPath);
    try {
      const qmp = await Qmp.connect(this.file('qmp'));
      try {
        await qmp.command('stop');
        await qmp.command('migrate', { uri: `unix:${socketPath}` });
        for (;;) {
          const info = (await qmp.command('query-migrate')) as { status: string; 'error-desc'?: string };
          if (info.status === 'completed') break;
          if (info.status === 'failed') throw new Error(`saving the VM state failed: ${info['error-desc']}`);
          await sleep(200);
        }
        await written;
        this.closeConnections(); // the guest is saved: its line closing now is no news
        await qmp.command('quit').catch(() => undefined);
      } finally {
        qmp.close();
      }
    } finally {
      server.close();
    }
    await this.exited;
  }

  /** Closes what this process holds open to the VM: the mux (and its agent line), our client. */
  private closeConnections(): void {
    this.mux?.close();
    void this.clientPromise?.then((c) => c.close()).catch(() => undefined);
  }

  /** Ends the VM now. The disk is throwaway, so there is nothing to flush. Safe to call twice. */
  async kill(): Promise<void> {
    this.closeConnections();
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGKILL');
    await this.exited;
    this.cgroup?.remove();
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
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    fs.writeFileSync(marker, `${bootId} ${accel}\n`);
  } catch (e) {
    // A server that is not root may only read the cache setup made: probe again next time.
    warnOnce(`cannot remember the accelerator in ${marker}: ${(e as Error).message}`);
  }
  return accel;
}
