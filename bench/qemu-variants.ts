/**
 * QEMU settings compared side by side (docs/bench.md, "QEMU settings under TCG"): each named
 * variant of vm.ts's command line cold-boots the built image in a VM of its own, all at once, and
 * they run the same guest workload section by section in lockstep, so every variant meets the same
 * machine load. Per VM it prints one JSON line: host CPU (QEMU's user + system seconds) and wall
 * time per section, boot, TCG's `info jit`, and optionally idle CPU, PSS, guest interrupts, which
 * guest processes woke, and the guest's timers and work items (ftrace).
 *
 *   vmrun node --import tsx/esm bench/qemu-variants.ts base lean smp1 [--rounds N] [--idle S] [--drop] [--trace]
 *
 * Host CPU is the figure to compare: wall time on a shared 2-core machine follows the others' load.
 * Compare only VMs of the same round. QEMU runs as root here, without the lab's cgroup, user and
 * network (the guest gets the same devices, its network unplugged): a bench, not a lab.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GuestClient } from '../engine/sandbox/client.ts';
import { ConsoleRing } from '../engine/sandbox/console.ts';
import { createOverlay, imagePaths } from '../engine/sandbox/image.ts';
import { Mux } from '../engine/sandbox/mux.ts';
import { cacheDir } from '../engine/sandbox/paths.ts';
import { Qmp } from '../engine/sandbox/qmp.ts';
import { qemuArgs, type VmSpec } from '../engine/sandbox/vm.ts';

type Tweak = (args: string[]) => string[];
const set =
  (flag: string, value: string): Tweak =>
  (a) =>
    a.map((v, i) => (a[i - 1] === flag ? value : v));
const append =
  (extra: string): Tweak =>
  (a) =>
    a.map((v, i) => (a[i - 1] === '-append' ? `${v} ${extra}` : v));
const device =
  (d: string): Tweak =>
  (a) => [...a, '-device', d];
const all =
  (...t: Tweak[]): Tweak =>
  (a) =>
    t.reduce((x, f) => f(x), a);

const TSC = 'clocksource=tsc tsc=reliable';
const KNOBS = 'psi=0 nowatchdog sysctl.vm.stat_interval=10 sysctl.vm.compaction_proactiveness=0';
const BALLOON = 'virtio-balloon-pci,free-page-reporting=on';

/** Each variant: vm.ts's command line of today, changed. */
export const VARIANTS: Record<string, Tweak> = {
  base: (a) => a,
  tsc: append(TSC),
  balloon: device(BALLOON),
  knobs: all(append(KNOBS), device(BALLOON)),
  lean: all(append(`${TSC} ${KNOBS}`), device(BALLOON)),
  smp1: set('-smp', '1'),
  smp1knobs: all(set('-smp', '1'), append(KNOBS), device(BALLOON)),
  noavx: set('-cpu', 'max,-avx,-avx2,-fma,-f16c,-avx512f,-vaes,-vpclmulqdq'),
  qemu64: set('-cpu', 'qemu64'),
  tb64: set('-accel', 'tcg,thread=multi,tb-size=64'),
  tb512: set('-accel', 'tcg,thread=multi,tb-size=512'),
  tb1g: set('-accel', 'tcg,thread=multi,tb-size=1024'),
  q35: set('-machine', 'q35'),
};

/** The guest workload, in sections: what a lesson's commands and checks do most. */
const WORKLOAD: [string, string][] = [
  ['run5', 'for i in 1 2 3 4 5; do docker run --rm busybox true; done'],
  [
    'detach3',
    'for i in 1 2 3; do docker run -d --name q$i busybox sleep 600 >/dev/null; done; docker rm -f q1 q2 q3 >/dev/null',
  ],
  [
    'build',
    'd=$(mktemp -d); printf "FROM busybox\\nRUN echo hi > /hi && ls / > /list\\n" > $d/Dockerfile; docker build -q --no-cache -t qb $d >/dev/null && docker rmi qb >/dev/null',
  ],
  ['ipt30', 'for i in $(seq 30); do iptables -S >/dev/null; done'],
  ['dockerps10', 'for i in $(seq 10); do docker ps >/dev/null; done'],
  ['bashl3', 'for i in 1 2 3; do bash -lic exit >/dev/null 2>&1; done'],
  [
    'cpu',
    'python3 -c "sum(range(3000000))"; head -c 50M /dev/zero | gzip -1 >/dev/null; head -c 50M /dev/zero | sha256sum >/dev/null',
  ],
];

/** Context switches per command name over all the guest's threads (who woke). */
const WAKES = [
  'import glob, json, collections',
  'c = collections.Counter()',
  "for st in glob.glob('/proc/[0-9]*/task/[0-9]*/status'):",
  '  try: d = open(st).read()',
  '  except Exception: continue',
  "  c[d.split(chr(10), 1)[0].split(chr(9), 1)[1]] += sum(int(l.split()[1]) for l in d.splitlines() if 'ctxt_switches' in l)",
  'print(json.dumps(c))',
].join('\n');

/** The guest's expiring timers and work items over 20 s (ftrace), by function. */
const TRACE = `T=/sys/kernel/tracing; mountpoint -q $T || mount -t tracefs nodev $T
echo 0 > $T/tracing_on; echo > $T/trace; echo 4096 > $T/buffer_size_kb
for e in workqueue/workqueue_execute_start timer/timer_expire_entry timer/hrtimer_expire_entry; do echo 1 > $T/events/$e/enable; done
echo 1 > $T/tracing_on; sleep 20; echo 0 > $T/tracing_on
grep -o 'function=[^ ]*\\|function [^ ]*' $T/trace | sed 's/function[= ]//' | sort | uniq -c | sort -rn | head -20 | awk '{printf "%s=%s ", $2, $1}'`;

/** Lets the VMs of a round start each section together. */
class Barrier {
  private waiting: (() => void)[] = [];
  constructor(private parties: number) {}
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length < this.parties) return;
      const go = this.waiting;
      this.waiting = [];
      go.forEach((f) => f());
    });
  }
  /** A VM that failed waits no more: the others go on without it. */
  leave(): void {
    this.parties--;
    if (this.waiting.length === 0 || this.waiting.length < this.parties) return;
    const go = this.waiting;
    this.waiting = [];
    go.forEach((f) => f());
  }
}

const children = new Set<ChildProcess>();

function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

function pssMiB(pid: number): number {
  const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}

/** Counters that grew between two readings, largest first, as `name=growth`. */
function grown(a: Map<string, number>, b: Map<string, number>, min = 1): string {
  return [...b]
    .map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const)
    .filter(([, d]) => d >= min)
    .sort((x, y) => y[1] - x[1])
    .map(([k, d]) => `${k}=${d}`)
    .join(' ');
}

function interrupts(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (!f[0]) continue;
    const counts = f.slice(1).filter((x) => /^\d+$/.test(x));
    const name = f.slice(1 + counts.length).join(' ');
    m.set(
      `${f[0]}${name.slice(0, 24)}`,
      counts.map(Number).reduce((x, y) => x + y, 0),
    );
  }
  return m;
}

interface Options {
  idleS: number;
  drop: boolean;
  trace: boolean;
}

/** One VM of one round: boots `name`'s command line, runs the workload, measures. */
async function runVariant(name: string, opts: Options, barrier: Barrier): Promise<Record<string, unknown>> {
  const built = fs
    .readdirSync(path.join(cacheDir, 'images'))
    .filter((d) => fs.existsSync(path.join(cacheDir, 'images', d, 'READY')));
  if (!built[0]) throw new Error(`no built image in ${cacheDir}/images: run sandbox build first`);
  const image = imagePaths(built[0]);
  const dir = fs.mkdtempSync(`/tmp/qemu-variant-${name}-`);
  const disk = path.join(dir, 'disk.qcow2');
  createOverlay(image.disk, disk);
  const spec: VmSpec = {
    ...{ dir, name: 'q', kernel: image.kernel, initrd: image.initrd, disk },
    ...{ memoryMb: 1024, cpus: 2, mac: '52:54:00:00:00:09', accel: 'tcg' },
  };
  const out: Record<string, unknown> = { variant: name, image: built[0] };
  const ring = await ConsoleRing.listen(path.join(dir, 'q.console.sock'), path.join(dir, 'q.console.log'));
  const log = fs.openSync(path.join(dir, 'qemu.log'), 'a');
  const t0 = performance.now();
  const child = spawn('qemu-system-x86_64', VARIANTS[name]!(qemuArgs(spec)), {
    stdio: ['ignore', 'ignore', log],
  });
  children.add(child);
  const exec = async (script: string, timeoutMs = 600_000) =>
    (await client!.exec(['bash', '-c', script], { timeoutMs })).stdout.trim();
  let client: GuestClient | null = null;
  let mux: Mux | null = null;
  let failed = true;
  try {
    let agent: net.Socket | null = null;
    while (!agent) {
      if (child.exitCode !== null) throw new Error(`QEMU exited; see ${dir}/qemu.log`);
      agent = await new Promise<net.Socket | null>((resolve) => {
        const s = net.createConnection(path.join(dir, 'q.agent'), () => resolve(s));
        s.once('error', () => resolve(null));
      });
      if (!agent) await sleep(200);
    }
    mux = new Mux(agent);
    await mux.listen(path.join(dir, 'q.sock'));
    await mux.waitForAgent(300_000);
    client = await GuestClient.connect(path.join(dir, 'q.sock'));
    while (
      (await client.exec(['curl', '-sf', '--unix-socket', '/var/run/docker.sock', 'http://d/_ping'])).code
    )
      await sleep(300);
    out.dockerReadyS = (performance.now() - t0) / 1000;
    out.bootCpuS = cpuSeconds(child.pid!);
    await exec('systemctl is-system-running --wait >/dev/null; sync');
    out.guest = await exec(
      'cat /sys/devices/system/clocksource/clocksource0/current_clocksource; nproc; free -m | sed -n 2p',
    );
    await sleep(5000);
    let wall = 0;
    let cpu = 0;
    for (const [label, script] of WORKLOAD) {
      await barrier.wait();
      const c0 = cpuSeconds(child.pid!);
      const w0 = performance.now();
      const r = await client.exec(['bash', '-c', script], { timeoutMs: 600_000 });
      const w = (performance.now() - w0) / 1000;
      const c = cpuSeconds(child.pid!) - c0;
      if (r.code !== 0) out[`${label}Error`] = r.stderr.slice(0, 200);
      out[label] = { wallS: +w.toFixed(2), cpuS: +c.toFixed(2) };
      wall += w;
      cpu += c;
    }
    out.workWallS = +wall.toFixed(2);
    out.workCpuS = +cpu.toFixed(2);
    const qmp = await Qmp.connect(path.join(dir, 'q.qmp'));
    const jit = String(await qmp.command('human-monitor-command', { 'command-line': 'info jit' }));
    qmp.close();
    out.jit = jit
      .split('\n')
      .filter((l) => /gen code size|TB flush|TB invalidate/.test(l))
      .map((l) => l.trim().replace(/\s+/g, ' '))
      .join(' | ');
    if (opts.idleS > 0) {
      await barrier.wait();
      out.pssAfterWorkMiB = pssMiB(child.pid!);
      if (opts.drop)
        out.freeAfterDrop = await exec('sync; echo 3 > /proc/sys/vm/drop_caches; free -m | sed -n 2p');
      await sleep(10_000);
      const wakes = async () =>
        new Map(
          Object.entries(
            JSON.parse((await client!.exec(['python3', '-c', WAKES])).stdout) as Record<string, number>,
          ),
        );
      const wakes0 = await wakes();
      const irq0 = interrupts(await exec('cat /proc/interrupts'));
      const clock0 = Number(await exec('date +%s.%N')) - Date.now() / 1000;
      const c0 = cpuSeconds(child.pid!);
      const w0 = performance.now();
      await sleep(opts.idleS * 1000);
      const c = cpuSeconds(child.pid!) - c0;
      const w = (performance.now() - w0) / 1000;
      const clock1 = Number(await exec('date +%s.%N')) - Date.now() / 1000;
      out.idleCpuPct = +((c / w) * 100).toFixed(2);
      out.idlePssMiB = pssMiB(child.pid!);
      out.clockDriftMsPerMin = +(((clock1 - clock0) * 1000) / (w / 60)).toFixed(1);
      out.irqs = grown(irq0, interrupts(await exec('cat /proc/interrupts')));
      out.wakes = grown(wakes0, await wakes(), 3);
      if (opts.trace) out.trace = await exec(TRACE);
    }
    failed = false;
  } catch (e) {
    throw new Error(`${(e as Error).message} (QEMU's log and console kept in ${dir})`, { cause: e });
  } finally {
    barrier.leave();
    client?.close();
    mux?.close();
    child.kill('SIGKILL');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    children.delete(child);
    ring.close();
    fs.closeSync(log);
    if (!failed) fs.rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const value = (flag: string, fallback: number) =>
    argv.includes(flag) ? Number(argv[argv.indexOf(flag) + 1]) : fallback;
  const names = argv.filter((a, i) => !a.startsWith('--') && !['--rounds', '--idle'].includes(argv[i - 1]!));
  const unknown = names.filter((n) => !VARIANTS[n]);
  if (names.length === 0 || unknown.length > 0) {
    process.stderr.write(
      `usage: bench/qemu-variants.ts VARIANT... [--rounds N] [--idle S] [--drop] [--trace]\n` +
        `${unknown.length ? `unknown: ${unknown.join(' ')}\n` : ''}variants: ${Object.keys(VARIANTS).join(' ')}\n`,
    );
    return 2;
  }
  const opts = { idleS: value('--idle', 0), drop: argv.includes('--drop'), trace: argv.includes('--trace') };
  process.on('SIGTERM', () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(1);
  });
  for (let round = 0; round < value('--rounds', 1); round++) {
    const barrier = new Barrier(names.length);
    const results = await Promise.all(
      names.map((n) => runVariant(n, opts, barrier).catch((e: Error) => ({ variant: n, error: e.message }))),
    );
    const load = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    for (const r of results) process.stdout.write(JSON.stringify({ round, load, ...r }) + '\n');
  }
  return 0;
}

process.exit(await main(process.argv.slice(2)));
