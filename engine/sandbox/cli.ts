/** `dockerlab sandbox ...`: the sandbox for instructors and scripts. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { GuestClient } from './client.ts';
import {
  ensureImage,
  ensureSlotSnapshot,
  ensureSnapshot,
  findSnapshot,
  imagePaths,
  imageReady,
  inputsHash,
  type Progress,
} from './image.ts';
import { attachLab, defaults, labDir, listLabs, readLab, reapOrphans, startLab, stopLab } from './lab.ts';
import { supervise } from './supervisor.ts';
import { detectAccel, qemuUser } from './vm.ts';
import { cgroupSupport } from './cgroup.ts';
import { cacheDir, labsDir } from './paths.ts';
import { say } from '../log.ts';
import path from 'node:path';

const usage = `用法 / usage: dockerlab sandbox <command>
  build                      构建虚拟机镜像 / build the VM image (cached by its inputs)
  up [--hosts N] [--memory MB] [--cpus N] [--label TEXT]
                             启动实验环境，输出其 id / start a lab, print its id
  shell ID[:HOST]            进入虚拟机的 root shell / a root shell in the VM
  exec ID[:HOST] -- CMD...   在虚拟机里执行命令 / run a command in the VM
  snapshot                   重新制作快照 / (re)make the snapshot labs start from
  reset ID                   把实验环境恢复到快照状态 / bring a lab back to the snapshot
  down ID|--all              关闭实验环境 / stop a lab (or all)
  list                       列出实验环境 / list labs
  doctor                     检查本机缺什么 / what this machine lacks, and how to fix it
  topology ID[:HOST] [--json|--svg]
                             画出网络拓扑 / the lab's network as a list, JSON or SVG`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** A text progress bar on stderr: step N of M, what it is doing, and how long it has taken. */
export function progressBar(): Progress {
  const started = Date.now();
  return ({ step, total, label }) => {
    const width = 24;
    const done = Math.round((width * (step - 1)) / total);
    const secs = Math.round((Date.now() - started) / 1000);
    process.stderr.write(
      `[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${step}/${total} ${label} (${secs}s)\n`,
    );
  };
}

function target(spec: string | undefined): { id: string; host: string } {
  if (!spec) throw new Error('需要实验环境 id / a lab id is needed: see `dockerlab sandbox list`');
  const [id, host = 'host1'] = spec.split(':');
  return { id: id!, host };
}

export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'build': {
      const image = await ensureImage(progressBar());
      say(`镜像已就绪 / image ready: ${image.dir}`);
      if (!findSnapshot(image, defaults.memoryMb, defaults.cpus)) {
        say('制作快照（冷启动一次虚拟机，约一两分钟）/ making the snapshot (one cold boot)…');
      }
      const snap = await ensureSnapshot(image, defaults.memoryMb, defaults.cpus);
      say(`快照已就绪 / snapshot ready: ${snap.dir}`);
      if (defaults.slotSnapshots) {
        // host1 and host2, which most lessons use; others are made when a lab first needs them.
        for (const slot of ['host1', 'host2']) await ensureSlotSnapshot(image, snap, slot);
        say('各主机位的快照已就绪 / host slot snapshots ready: host1, host2');
      }
      return 0;
    }
    case 'up': {
      const lab = await startLab(
        {
          hosts: Number(flag(rest, '--hosts') ?? 1),
          memoryMb: flag(rest, '--memory') ? Number(flag(rest, '--memory')) : undefined,
          cpus: flag(rest, '--cpus') ? Number(flag(rest, '--cpus')) : undefined,
          label: flag(rest, '--label'),
        },
        progressBar(),
      );
      say(lab.id);
      return 0;
    }
    case 'shell':
      return shell(target(rest[0]));
    case 'exec': {
      const { id, host } = target(rest[0]);
      const dash = rest.indexOf('--');
      const cmd = dash >= 0 ? rest.slice(dash + 1) : rest.slice(1);
      if (!cmd.length) throw new Error('用法 / usage: dockerlab sandbox exec ID[:HOST] -- CMD...');
      const lab = await attachLab(id);
      const script = cmd.length === 1 ? cmd[0]! : cmd.map(shellQuote).join(' ');
      const r = await lab
        .host(host)
        .exec(script, { timeoutMs: Number(process.env.DOCKERLAB_EXEC_TIMEOUT_MS ?? 600_000) });
      lab.detach();
      process.stdout.write(r.stdout);
      process.stderr.write(r.stderr);
      if (r.timedOut) process.stderr.write('命令超时 / the command timed out\n');
      return r.code;
    }
    case 'snapshot': {
      const image = await ensureImage(progressBar());
      const memoryMb = Number(flag(rest, '--memory') ?? defaults.memoryMb);
      const cpus = Number(flag(rest, '--cpus') ?? defaults.cpus);
      const dir = path.join(cacheDir, 'snapshots');
      for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
        if (f.endsWith(`-${memoryMb}m-${cpus}c`))
          fs.rmSync(path.join(dir, f), { recursive: true, force: true });
      }
      const snap = await ensureSnapshot(image, memoryMb, cpus);
      say(`快照已就绪 / snapshot ready: ${snap.dir}`);
      return 0;
    }
    case 'reset': {
      const { id } = target(rest[0]);
      const old = readLab(labDir(id));
      await stopLab(id);
      await startLab({
        id,
        hosts: old.hosts.length,
        memoryMb: old.memoryMb,
        cpus: old.cpus,
        label: old.label,
      });
      say(id);
      return 0;
    }
    case 'down': {
      const ids = rest[0] === '--all' ? listLabs().map((l) => l.id) : [target(rest[0]).id];
      await Promise.all(ids.map(stopLab));
      return 0;
    }
    case 'list': {
      reapOrphans();
      for (const l of listLabs()) {
        const boot = l.boot ? `${l.boot.from} ${(l.boot.ms / 1000).toFixed(1)}s` : '';
        say(
          `${l.id}\t${l.state}\t${l.hosts.map((h) => `${h.name}=${h.address}`).join(',')}\t${boot}\t${l.label ?? ''}`,
        );
      }
      return 0;
    }
    case 'topology':
      return (await import('../topology/cli.ts')).main(rest);
    case 'doctor':
      return doctor();
    case '_supervise':
      await supervise(rest[0]!);
      return await new Promise<number>(() => {}); // runs until the lab stops (process.exit)
    default:
      say(usage);
      return command ? 2 : 0;
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function shell({ id, host }: { id: string; host: string }): Promise<number> {
  const client = await GuestClient.connect(path.join(labDir(id), `${host}.sock`));
  const out = process.stdout;
  const proc = client.open({ pty: true, cols: out.columns || 80, rows: out.rows || 24 });
  // Acknowledge output only once it is written, so a slow reader (the web terminal's flow
  // control) slows the guest instead of filling memory.
  proc.on('stdout', (b) => out.write(b, () => proc.ack(b.length)));
  if (process.stdin.isTTY) process.stdin.setRawMode(true);
  process.stdin.on('data', (b) => proc.write(b));
  out.on('resize', () => proc.resize(out.columns, out.rows));
  const status = await new Promise<{ code: number }>((resolve) => proc.once('exit', resolve));
  client.close();
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  process.stdin.destroy(); // else the open stdin keeps this process alive after the shell ended
  return status.code;
}

function doctor(): number {
  const problems: string[] = [];
  const need = (cmd: string, pkg: string) => {
    if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0)
      problems.push(`缺少 ${cmd}：apt-get install -y ${pkg}`);
  };
  need('qemu-system-x86_64', 'qemu-system-x86');
  need('qemu-img', 'qemu-utils');
  need('mmdebstrap', 'mmdebstrap');
  need('apt-ftparchive', 'apt-utils');
  need('dpkg-scanpackages', 'dpkg-dev');
  need('mkfs.ext4', 'e2fsprogs');
  need('setpriv', 'util-linux');
  need('gcc', 'gcc libc6-dev');
  if (!fs.existsSync('/bin/busybox')) problems.push('缺少 busybox：apt-get install -y busybox-static');
  if (process.getuid?.() !== 0)
    problems.push('构建镜像需要 root（mmdebstrap 与 chroot）/ building the image needs root');
  say(
    `镜像 / image ${inputsHash()}: ${imageReady() ? '已构建 / built' : '未构建，运行 npm run build:vm / not built: npm run build:vm'} (${imagePaths().dir})`,
  );
  if (fs.existsSync(imagePaths().kernel)) say(`加速 / accelerator: ${detectAccel(imagePaths().kernel)}`);
  say(`实验环境目录 / labs: ${labsDir}; 最多 / at most ${defaults.maxVms} VMs`);
  const cg = cgroupSupport();
  say(
    cg.version === null
      ? `主机限额 / host limits: 无 / none (${cg.why})`
      : `主机限额 / host limits: cgroup v${cg.version} (每台虚拟机的内存、任务数、CPU 权重 / memory, tasks, CPU weight per VM)`,
  );
  const user = qemuUser();
  say(`QEMU 用户 / QEMU runs as: ${user ? user.name : (process.env.USER ?? `uid ${process.getuid?.()}`)}`);
  for (const p of problems) say('✗ ' + p);
  if (!problems.length) say('✓ 本机具备运行沙箱的条件 / this machine can run the sandbox');
  return problems.length ? 1 : 0;
}
