/**
 * The sandbox against real VMs (QEMU, TCG here): offline images and packages, a two-host LAN,
 * identities, the guest channel surviving a broken guest, isolation, and cleanup.
 */
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../engine/sandbox/api.ts';
import { GuestClient } from '../../engine/sandbox/client.ts';
import { isAlive } from '../../engine/sandbox/image.ts';
import { labDir, readLab, reapOrphans, startLab } from '../../engine/sandbox/lab.ts';

let lab: Lab;

function qemuPidsOf(id: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', `qemu-system-x86_64.*${id}`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
  } catch {
    return [];
  }
}

async function waitFor(what: string, test: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  lab = await startLab({ hosts: 2, label: 'sandbox test' });
});
afterAll(async () => {
  await lab?.down();
});

describe('a two-host lab', () => {
  it('resumes from a snapshot (made for its host slot, where there is one)', () => {
    expect(readLab(labDir(lab.id)).boot?.from).toMatch(/^(slot|snapshot)$/);
  });

  it('runs a container', async () => {
    const r = await lab.host('host1').exec('docker run --rm busybox echo ok');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok\n');
  });

  it('pulls images and installs packages without the internet', async () => {
    const h = lab.host('host1');
    expect((await h.exec('curl -sS -m 3 -o /dev/null http://deb.debian.org/')).code).not.toBe(0);
    const pull = await h.exec('docker rmi -f nginx >/dev/null && docker pull nginx', { timeoutMs: 300_000 });
    expect(pull.stdout).toContain('Downloaded newer image for nginx:latest');
    const apt = await h.exec(
      'docker run --rm debian bash -c "apt-get update -q >/dev/null && apt-get install -y -q curl >/dev/null && curl --version"',
      {
        timeoutMs: 300_000,
      },
    );
    expect(apt.stderr.replace(/debconf: .*\n/g, '')).toBe('');
    expect(apt.stdout).toMatch(/^curl \d/);
  });

  it('gives each VM its own name, address, MAC, machine-id and engine id, and the right time', async () => {
    const facts = await Promise.all(
      lab.hosts.map(async (h) => {
        const r = await h.exec(
          "hostname; ip -br -4 addr show eth0 | awk '{print $3}'; cat /sys/class/net/eth0/address; cat /etc/machine-id; docker info -f '{{.ID}}'; date +%s",
        );
        return r.stdout.trim().split('\n');
      }),
    );
    const [a, b] = facts as [string[], string[]];
    expect(a.slice(0, 2)).toEqual(['host1', '192.168.56.11/24']);
    expect(b.slice(0, 2)).toEqual(['host2', '192.168.56.12/24']);
    for (let i = 2; i < 5; i++) expect(a[i], `fact ${i}`).not.toBe(b[i]);
    expect(Math.abs(Number(a[5]) - Date.now() / 1000)).toBeLessThan(30);
  });

  it('puts the hosts on one LAN, by name', async () => {
    const r = await lab.host('host1').exec('ping -c 2 -W 5 host2');
    expect(r.code).toBe(0);
  });

  it('keeps the channel when the learner breaks the guest', async () => {
    const h = lab.host('host2');
    const broken = await h.exec(
      'ip link set eth0 down; iptables -P INPUT DROP; iptables -F; ip link del docker0; systemctl stop docker docker.socket; echo done',
    );
    expect(broken.stdout).toContain('done');
    expect((await h.exec('echo alive')).stdout).toBe('alive\n');
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => h.exec(`echo ${i}`)));
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
    // An interactive shell, like the web terminal's, with a size and a signal.
    const client = await GuestClient.connect(path.join(labDir(lab.id), 'host2.sock'));
    const shell = client.open({ pty: true, cols: 91, rows: 33 });
    let screen = '';
    shell.on('stdout', (b) => ((screen += b.toString()), shell.ack(b.length)));
    shell.write('stty size; sleep 100\n');
    await waitFor('the shell', () => screen.includes('33 91'));
    shell.write('\x03echo after-ctrl-c; exit 5\n');
    const status = await new Promise<{ code: number }>((r) => shell.once('exit', r));
    expect(screen).toContain('after-ctrl-c');
    expect(status.code).toBe(5);
    client.close();
  });

  it('times out a command that runs too long', async () => {
    const r = await lab.host('host1').exec('sleep 30', { timeoutMs: 1000 });
    expect(r.timedOut).toBe(true);
  });
});

describe('isolation and cleanup', () => {
  it('keeps labs apart, and ends a lab when its owner dies', async () => {
    const owner = spawn('sleep', ['600']);
    const other = await startLab({ hosts: 1, ownerPid: owner.pid });
    try {
      // host2 exists only in the first lab; the same address here reaches nothing.
      const ping = await other.host('host1').exec('ping -c 2 -W 2 192.168.56.12');
      expect(ping.stdout).toContain('2 packets transmitted, 0 received');
      // No default route: nothing beyond the lab's own LAN, not the host, not the internet.
      expect((await other.host('host1').exec('ip route')).stdout).not.toMatch(/^default/m);
    } finally {
      owner.kill('SIGKILL');
    }
    await waitFor('the owner’s lab to stop', () => !fs.existsSync(labDir(other.id)));
    expect(qemuPidsOf(other.id)).toEqual([]);
  });

  it('leaves nothing when the supervisor is killed, or after down', async () => {
    const record = readLab(labDir(lab.id));
    expect(qemuPidsOf(lab.id).length).toBe(2);
    process.kill(record.supervisorPid!, 'SIGKILL');
    await waitFor('QEMU to die with its supervisor', () => qemuPidsOf(lab.id).length === 0);
    await waitFor('the supervisor to be gone', () => !isAlive(record.supervisorPid!));
    expect(reapOrphans()).toContain(lab.id);
    expect(fs.existsSync(labDir(lab.id))).toBe(false);
    await lab.down(); // safe on a lab that is already gone
  });
});
