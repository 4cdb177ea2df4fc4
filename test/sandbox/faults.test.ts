/**
 * Faults a learner (or a hostile guest) can cause, against real VMs: fork bombs in the shell and in
 * a container, a memory bomb, a full disk, reaching out of the lab, and a VM that powers off or
 * panics. Each says what it measured (times, MiB) on stdout, for the report and docs.
 * Two labs: `lab` takes the faults, `neighbour` must keep answering; both end failed at the close.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab, LabFailure } from '../../engine/sandbox/api.ts';
import { VmCgroup, cgroupSupport } from '../../engine/sandbox/cgroup.ts';
import { GuestClient, type GuestProcess } from '../../engine/sandbox/client.ts';
import { imagePaths } from '../../engine/sandbox/image.ts';
import { labDir, startLab } from '../../engine/sandbox/lab.ts';
import { guestSpareStatus } from '../../engine/sandbox/paths.ts';
import { detectAccel, vmMemoryCap } from '../../engine/sandbox/vm.ts';

let lab: Lab;
let neighbour: Lab;
const MiB = 2 ** 20;
const figures: string[] = [];
const note = (line: string) => (figures.push(line), console.log(`[faults] ${line}`));

async function waitFor<T>(
  what: string,
  test: () => T | Promise<T>,
  ms: number,
  everyMs = 500,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await test();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** An interactive root shell, as the web terminal opens it. */
async function openShell(l: Lab, host = 'host1') {
  const client = await GuestClient.connect(path.join(labDir(l.id), `${host}.sock`));
  const shell: GuestProcess = client.open({ pty: true, cols: 120, rows: 40 });
  let screen = '';
  shell.on('stdout', (b) => ((screen += b.toString()), shell.ack(b.length)));
  const exited = new Promise((r) => shell.once('exit', r));
  return { client, shell, exited, screen: () => screen };
}

/** Round trip of a trivial command, in ms. */
async function echoMs(l: Lab): Promise<number> {
  const t = Date.now();
  const r = await l.host('host1').exec('echo ok', { timeoutMs: 60_000 });
  expect(r.stdout).toBe('ok\n');
  return Date.now() - t;
}

function qemuMemory(l: Lab) {
  return VmCgroup.ofLab(l.id)[0]?.memory() ?? null;
}

beforeAll(async () => {
  [lab, neighbour] = await Promise.all([
    startLab({ hosts: 1, label: 'faults' }),
    startLab({ hosts: 1, label: 'faults neighbour' }),
  ]);
});
afterAll(async () => {
  await Promise.all([lab?.down(), neighbour?.down()]);
  console.log(`[faults] figures:\n${figures.join('\n')}`);
});

describe('the host holds each VM', () => {
  it('runs QEMU as the unprivileged user, sandboxed, in a cgroup with a memory cap', () => {
    const groups = VmCgroup.ofLab(lab.id);
    const support = cgroupSupport();
    note(
      `cgroups on this host: ${support.version === null ? `none (${support.why})` : `v${support.version}`}`,
    );
    if (support.version === null) return; // said in the supervisor's log too
    expect(groups).toHaveLength(1);
    const [qemu] = groups[0]!.pids();
    const status = fs.readFileSync(`/proc/${qemu}/status`, 'utf8');
    const uid = /^Uid:\s+(\d+)/m.exec(status)![1];
    expect(uid).not.toBe('0');
    expect(/^Seccomp:\s+(\d)/m.exec(status)![1]).toBe('2'); // filter mode: -sandbox on
    expect(fs.readFileSync(`/proc/${qemu}/cmdline`, 'utf8')).toContain('qemu-system-x86_64');
  });
});

describe('fork bombs', () => {
  it('in the shell: stays in the shell’s cgroup; the neighbour and the agent answer; closing the shell ends it', async () => {
    const idle = await echoMs(neighbour);
    const { client, shell, exited } = await openShell(lab);
    shell.write('bomb() { bomb | bomb & }; bomb\n');
    // Held when the shells' cgroup refuses forks (pids.events max) or kills for memory.
    const shells = '/sys/fs/cgroup/system.slice/dockerlab-agent.service/shells';
    let peak = 0;
    const held = await waitFor(
      'the bomb to hit the shells cgroup’s limits',
      async () => {
        const r = await lab
          .host('host1')
          .exec(
            `cat ${shells}/pids.current; grep -o 'max [0-9]*' ${shells}/pids.events; grep oom_kill ${shells}/memory.events`,
          );
        const [current, refused, killed] = r.stdout.trim().split('\n');
        peak = Math.max(peak, Number(current));
        const n = (line?: string) => Number(line?.split(' ')[1] ?? 0);
        return n(refused) > 0 || n(killed) > 0 ? { refused: n(refused), killed: n(killed) } : null;
      },
      180_000,
      2000,
    );
    const during = await echoMs(neighbour);
    const own = await echoMs(lab);
    shell.kill(); // the terminal closes: the agent kills the shell's cgroup whole
    await exited;
    // Gone when the shells' cgroup holds one task: the agent's new spare shell (agent.py, Spare),
    // made once no terminal is open, at its prompt.
    const left = await waitFor(
      'the bomb to be gone',
      async () => {
        const r = await lab
          .host('host1')
          .exec(
            `cat ${shells}/pids.current; cut -d' ' -f3 ${guestSpareStatus}; cat /proc/$(cut -d' ' -f1 ${guestSpareStatus})/cgroup`,
          );
        return r.stdout.trim().startsWith('1\nready\n0::/system.slice/dockerlab-agent.service/shells/s')
          ? r.stdout
          : '';
      },
      60_000,
    );
    client.close();
    expect(left).toMatch(/^1\nready\n/);
    const again = await openShell(lab);
    again.shell.write('echo fresh-$((6*7))\n');
    await waitFor('a new shell to answer', () => again.screen().includes('fresh-42'), 30_000);
    again.shell.kill();
    again.client.close();
    note(
      `fork bomb in the shell: up to ${peak} tasks seen (pids.max 2000), ${held.refused} forks refused, ${held.killed} OOM kills; neighbour echo ${idle} ms idle, ${during} ms during; bombed lab's own exec ${own} ms; cleared on close`,
    );
  });

  it('in a container: held by the container’s task limit; the neighbour answers; docker rm ends it', async () => {
    const h = lab.host('host1');
    const run = await h.exec("docker run -d --name bomb busybox sh -c 'b() { b | b & }; b; sleep 600'");
    expect(run.code, run.stderr).toBe(0);
    const id = run.stdout.trim();
    const file = `/sys/fs/cgroup/system.slice/docker-${id}.scope/pids`;
    const peak = await waitFor(
      'the container to reach its task limit',
      async () => {
        const r = await h.exec(`cat ${file}.current ${file}.max`);
        const [current, max] = r.stdout.trim().split('\n');
        return Number(current) >= 900 ? { current: Number(current), max } : null;
      },
      120_000,
      2000,
    );
    expect(peak.max).toBe('1000');
    const during = await echoMs(neighbour);
    const own = await echoMs(lab);
    const t = Date.now();
    const rm = await h.exec('docker rm -f bomb', { timeoutMs: 120_000 });
    expect(rm.code, rm.stderr).toBe(0);
    note(
      `fork bomb in a container: ${peak.current} tasks (TasksMax ${peak.max}); neighbour echo ${during} ms; own exec ${own} ms; docker rm -f ${Date.now() - t} ms`,
    );
  });
});

describe('memory bombs', () => {
  it('in the shell: the guest kills it inside the shell’s cgroup; QEMU stays under its cap', async () => {
    const { client, shell, screen } = await openShell(lab);
    shell.write(`python3 -c 'a = [b"x" * (16 << 20) for _ in range(1000)]'; echo bomb-ended-$?\n`);
    await waitFor('the memory bomb to be killed', () => /bomb-ended-137/.test(screen()), 180_000);
    const r = await lab
      .host('host1')
      .exec('grep oom_kill /sys/fs/cgroup/system.slice/dockerlab-agent.service/shells/memory.events');
    expect(r.stdout).toMatch(/oom_kill [1-9]/);
    shell.kill();
    client.close();
    const mem = qemuMemory(lab);
    const cap = vmMemoryCap(1024, detectAccel(imagePaths().kernel));
    if (mem) {
      expect(mem.current).toBeLessThanOrEqual(cap);
      if (mem.peak !== null) expect(mem.peak).toBeLessThanOrEqual(cap);
      expect(mem.oomKills).toBe(0); // the guest handled it; the host never had to kill QEMU
    }
    expect(await echoMs(lab)).toBeGreaterThan(0);
    note(
      `memory bomb in the shell: killed by the guest (shells memory.max); QEMU ${mem ? `now ${Math.round(mem.current / MiB)} MiB, peak ${mem.peak === null ? '?' : Math.round(mem.peak / MiB)} MiB of a ${cap / MiB} MiB cap` : 'not in a cgroup here'}; host MemAvailable ${Math.round(os.freemem() / MiB)} MiB`,
    );
  });

  it('in a container: the guest’s OOM killer takes the container’s process, not dockerd or the agent', async () => {
    const h = lab.host('host1');
    const r = await h.exec(
      `docker run --rm python python3 -c 'a = [b"x" * (16 << 20) for _ in range(1000)]'; echo exit=$?`,
      { timeoutMs: 240_000 },
    );
    expect(r.stdout).toContain('exit=137');
    expect((await h.exec('systemctl is-active docker dockerlab-agent')).stdout).toBe('active\nactive\n');
    const mem = qemuMemory(lab);
    if (mem) expect(mem.oomKills).toBe(0);
    note(
      `memory bomb in a container: exit 137, dockerd and the agent alive; QEMU peak ${mem?.peak ? Math.round(mem.peak / MiB) : '?'} MiB`,
    );
  });
});

describe('a full disk', () => {
  it('ends in ENOSPC in the guest; the host file stays under the disk’s size', async () => {
    const h = lab.host('host1');
    const t = Date.now();
    const r = await h.exec('dd if=/dev/zero of=/fill bs=4M 2>&1; sync; df -m / | tail -1', {
      timeoutMs: 900_000,
    });
    expect(r.stdout).toContain('No space left on device');
    const disk = path.join(labDir(lab.id), 'host1.qcow2');
    const used = fs.statSync(disk).blocks * 512;
    const virtual = 12 * 2 ** 30;
    expect(used).toBeLessThan(virtual + 256 * MiB); // qcow2 metadata on top of the data
    const freed = await h.exec('rm -f /fill && fstrim -v / && echo ok', { timeoutMs: 300_000 });
    expect(freed.stdout).toContain('ok');
    note(
      `disk fill: ENOSPC after ${Math.round((Date.now() - t) / 1000)} s; host overlay ${Math.round(used / MiB)} MiB (virtual ${virtual / MiB} MiB); after rm+fstrim ${Math.round((fs.statSync(disk).blocks * 512) / MiB)} MiB`,
    );
  }, 900_000);
});

describe('the network', () => {
  it('reaches neither the host’s addresses, nor a port the host listens on, nor another lab', async () => {
    const server = net.createServer((s) => s.destroy());
    const connections: string[] = [];
    server.on('connection', (s) => connections.push(String(s.remoteAddress)));
    await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
    const port = (server.address() as net.AddressInfo).port;
    const addresses = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4')
      .map((a) => a!.address)
      .concat(['10.0.2.2', '192.168.56.1']);
    // The neighbour takes an address of its own on its (separate) LAN.
    expect((await neighbour.host('host1').exec('ip addr add 192.168.56.99/24 dev eth0')).code).toBe(0);
    const probes = addresses.map((a) => `nc -z -w 2 ${a} ${port} && echo "reached ${a}:${port}"`).join('; ');
    const r = await lab
      .host('host1')
      .exec(`${probes}; ping -c 2 -W 2 192.168.56.99 >/dev/null && echo reached-neighbour; echo done`, {
        timeoutMs: 120_000,
      });
    server.close();
    expect(r.stdout).not.toContain('reached');
    expect(r.stdout).toContain('done');
    expect(connections).toEqual([]);
    note(
      `network: ${addresses.length} host addresses on port ${port}, and the neighbour's 192.168.56.99: none reached`,
    );
  });
});

describe('a VM that stops', () => {
  async function failureOf(
    l: Lab,
    cause: string,
    act: () => Promise<unknown>,
  ): Promise<{ failure: LabFailure; ms: number }> {
    const failed = new Promise<LabFailure>((resolve) => l.onFailure!(resolve));
    const t = Date.now();
    await act().catch(() => undefined); // the command may never answer: the VM is going away
    const failure = await failed;
    const ms = Date.now() - t;
    expect(failure.cause, failure.detail).toBe(cause);
    expect(failure.host).toBe('host1');
    await expect(l.suspend!('faults-test', '')).rejects.toThrow(/failed|not running/);
    return { failure, ms };
  }

  it('poweroff in the guest: the lab reports poweroff and is not saved', async () => {
    const { ms, failure } = await failureOf(neighbour, 'poweroff', () =>
      neighbour.host('host1').exec('systemctl poweroff', { timeoutMs: 30_000 }),
    );
    note(`poweroff: onFailure(poweroff) ${ms} ms after the command; ${failure.detail.split(';')[0]}`);
  });

  it('an agent that stops answering: the lab reports unresponsive', async () => {
    const stuck = await startLab({ hosts: 1, label: 'faults stuck' });
    try {
      const { ms } = await failureOf(stuck, 'unresponsive', () =>
        stuck
          .host('host1')
          .exec(
            "setsid sh -c 'sleep 1; kill -STOP $(systemctl show -p MainPID --value dockerlab-agent)' >/dev/null 2>&1 &",
          ),
      );
      note(`agent stopped (SIGSTOP): onFailure(unresponsive) ${ms} ms later (heartbeat: 3 misses)`);
    } finally {
      await stuck.down();
    }
  });

  it('a kernel panic: the lab reports a crash with the panic in its detail', async () => {
    const { ms, failure } = await failureOf(lab, 'crash', () =>
      lab.host('host1').exec('echo c > /proc/sysrq-trigger', { timeoutMs: 30_000 }),
    );
    expect(failure.detail).toMatch(/panic|status 1/);
    note(
      `kernel panic: onFailure(crash) ${ms} ms after sysrq-c; ${failure.detail.split(';').slice(0, 2).join(';')}`,
    );
  });
});
