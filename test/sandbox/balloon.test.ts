/**
 * Density (issue 12): a lab's QEMU gives back the memory its guest frees (virtio-balloon with free
 * page reporting, vm.ts), so an idle lab holds what its guest uses, not every page it ever touched;
 * and the guest runs with the idle options of vm.ts's kernel command line, and without address
 * randomization (so TCG can reuse what it translated for one process in the next).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../engine/sandbox/api.ts';
import { startLab } from '../../engine/sandbox/lab.ts';
import { KERNEL_CMDLINE } from '../../engine/sandbox/vm.ts';
import { qemuPids } from '../../bench/shell.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({ hosts: 1, label: 'balloon test' });
});
afterAll(async () => {
  await lab?.down();
});

const sh = async (script: string): Promise<string> => {
  const r = await lab.host('host1').exec(script, { timeoutMs: 180_000 });
  if (r.code !== 0) throw new Error(`${script} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
};

/** The QEMU process's resident memory, MiB. */
function rssMiB(pid: number): number {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line!.split(/\s+/)[1]) / 1024;
}

async function until(ok: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 1000)))
    if (ok()) return true;
  return ok();
}

describe('an idle lab’s memory', () => {
  it('goes back to the host when the guest frees it', async () => {
    expect(await sh('cat /proc/cmdline')).toBe(KERNEL_CMDLINE);
    expect(await sh('readlink /sys/bus/virtio/devices/*/driver | grep -c virtio_balloon')).toBe('1');
    const [pid] = qemuPids(lab.id);
    expect(pid).toBeGreaterThan(0);
    const before = rssMiB(pid!);
    // 320 MiB written in the guest (random, so the host's KSM cannot merge it); some of it lands
    // on pages QEMU already held.
    await sh('dd if=/dev/urandom of=/dev/shm/fill bs=1M count=320 status=none');
    const full = rssMiB(pid!);
    const grew = full - before;
    expect(grew).toBeGreaterThan(150);
    await sh('rm /dev/shm/fill');
    // The guest reports freed 2 MiB blocks after ~2 s; QEMU drops them from its memory. Without
    // reporting, QEMU keeps every page the guest ever touched.
    const back = await until(() => rssMiB(pid!) < full - grew / 2, 60_000);
    expect({ before, full, after: rssMiB(pid!), back }).toMatchObject({ back: true });
  });
});

describe('the guest kernel', () => {
  it('loads a program at the same addresses every time it runs', async () => {
    expect(await sh('cat /proc/sys/kernel/randomize_va_space')).toBe('0');
    // The first mapping is the program itself, the stack is the last: with randomization both
    // moved from one run to the next.
    const where = 'sed -n "1p;/\\[stack\\]/p" /proc/self/maps | cut -d" " -f1';
    const runs = [await sh(where), await sh(where), await sh(where)];
    expect(runs[0]).toMatch(/^[0-9a-f]+-[0-9a-f]+\n[0-9a-f]+-[0-9a-f]+$/);
    expect(new Set(runs).size).toBe(1);
  });
});
