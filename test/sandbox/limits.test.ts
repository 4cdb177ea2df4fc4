/**
 * The host-side limits without a VM: a cgroup as each QEMU gets (memory and task caps enforced by
 * this host's kernel), the console ring (bounded whatever the guest prints), and the saved-lab
 * quota (oldest out first, a lab being saved left alone).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { VmCgroup, cgroupSupport } from '../../engine/sandbox/cgroup.ts';
import { ConsoleRing, RING_BYTES } from '../../engine/sandbox/console.ts';
import { listSaved, pruneSaved } from '../../engine/sandbox/saved.ts';
import { inCgroup } from '../../engine/sandbox/vm.ts';

// Before any import reads it (paths.ts): the quota test works in a folder of its own.
const tmp = vi.hoisted(() => {
  const dir = `${process.env.TMPDIR ?? '/tmp'}/dockerlab-limits-${process.pid}`;
  process.env.DOCKERLAB_SAVED = `${dir}/saved`;
  return dir;
});
fs.mkdirSync(tmp, { recursive: true });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const MiB = 2 ** 20;

function run(argv: string[]): Promise<{ code: number | null; signal: string | null; out: string }> {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, out })));
}

const support = cgroupSupport();
describe('a VM’s cgroup', () => {
  // Where this host lets no cgroup be made, VMs run unlimited and the supervisor logs why.
  it.skipIf(support.version === null)(
    `caps memory and tasks on this host (${support.version === null ? support.why : `cgroup v${support.version}`})`,
    async () => {
      const cgroup = VmCgroup.create(`limits-test-${process.pid}`, {
        memoryBytes: 64 * MiB,
        tasks: 16,
        cpuWeight: 100,
      })!;
      try {
        const hog = await run(
          inCgroup(cgroup, ['python3', '-c', 'a = b"x" * (256 << 20); print("survived")']),
        );
        expect(hog.out).not.toContain('survived');
        expect(hog.signal).toBe('SIGKILL');
        expect(cgroup.memory().oomKills).toBeGreaterThan(0);
        const forks = await run(
          inCgroup(cgroup, [
            'bash',
            '-c',
            'for i in $(seq 40); do sleep 3 & done 2>&1 | head -1; cat /proc/self/cgroup; wait',
          ]),
        );
        expect(forks.out).toMatch(/Resource temporarily unavailable|retry: /);
      } finally {
        cgroup.remove();
      }
      expect(cgroup.dirs.some((d) => fs.existsSync(d))).toBe(false);
    },
  );
});

describe('the console ring', () => {
  it('keeps the last 256 KiB of what the guest prints, in memory and in console.log', async () => {
    const sock = path.join(tmp, 'console.sock');
    const log = path.join(tmp, 'console.log');
    const ring = await ConsoleRing.listen(sock, log);
    const guest = net.createConnection(sock);
    await new Promise((r) => guest.once('connect', r));
    const line = (i: number) => `line ${String(i).padStart(7, '0')} ${'x'.repeat(80)}\n`;
    const lines = 40_000; // about 3.6 MB
    for (let i = 0; i < lines; i++) guest.write(line(i));
    await new Promise<void>((r) => guest.end(r));
    // The bytes are on their way (a busy machine may take a while): wait until all have arrived.
    for (let i = 0; ring.total < lines * line(0).length && i < 600; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(ring.total).toBe(lines * line(0).length);
    expect(ring.contents().length).toBe(RING_BYTES);
    expect(ring.tail(2)).toBe((line(lines - 2) + line(lines - 1)).trimEnd());
    ring.close();
    expect(fs.statSync(log).size).toBe(RING_BYTES);
  });
});

describe('the saved-lab quota', () => {
  it('removes the least recently saved labs above the quota, and keeps one being saved', () => {
    const saved = path.join(tmp, 'saved');
    const make = (key: string, mib: number, ageMin: number, complete = true) => {
      const dir = path.join(saved, key);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'host1.ram'), Buffer.alloc(mib * MiB, 1));
      if (complete) fs.writeFileSync(path.join(dir, 'saved.json'), '{}');
      const t = new Date(Date.now() - ageMin * 60_000);
      fs.utimesSync(dir, t, t);
    };
    make('old', 3, 300);
    make('middle', 3, 200);
    make('new', 3, 100);
    make('ancient', 1, 60 * 24 * 30);
    make('saving-now', 3, 1, false);
    const removed = pruneSaved(7 * 86_400_000, { maxBytes: 7 * MiB, floorBytes: 0 });
    expect(removed).toEqual(['ancient', 'old']);
    expect(
      listSaved()
        .map((s) => s.key)
        .sort(),
    ).toEqual(['middle', 'new', 'saving-now']);
    // A free-space floor above what the disk has left empties all but the one being written.
    expect(pruneSaved(7 * 86_400_000, { maxBytes: 1e15, floorBytes: 1e15 })).toEqual(['middle', 'new']);
  });
});
