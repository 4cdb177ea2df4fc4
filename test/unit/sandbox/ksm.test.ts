/**
 * Density settings on the host: scripts/ksm.sh (run by setup as root) turns KSM on, on a stand-in
 * sysfs folder here; and QEMU's guest RAM stays mergeable (mem-merge is on unless turned off).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { qemuArgs } from '../../../engine/sandbox/vm.ts';

function ksm(dir: string) {
  return spawnSync('bash', ['scripts/ksm.sh'], { env: { ...process.env, KSM_DIR: dir }, encoding: 'utf8' });
}

describe('KSM on the host', () => {
  it('is turned on with its scan rate set, and left alone once on', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-ksm-'));
    for (const [f, v] of [
      ['run', '0'],
      ['pages_to_scan', '100'],
      ['sleep_millisecs', '200'],
    ])
      fs.writeFileSync(path.join(dir, f!), `${v}\n`);
    const r = ksm(dir);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('KSM on');
    const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8').trim();
    expect([read('run'), read('pages_to_scan'), read('sleep_millisecs')]).toEqual(['1', '1000', '50']);
    // Once on, a later setup changes nothing (an administrator's own rates stay).
    fs.writeFileSync(path.join(dir, 'pages_to_scan'), '5\n');
    expect(ksm(dir).stdout).toBe('');
    expect(read('pages_to_scan')).toBe('5');
    fs.rmSync(dir, { recursive: true });
  });

  it('says so, and does not fail setup, without KSM or where it cannot be written', () => {
    const none = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-ksm-'));
    const r = ksm(none);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/no KSM in this kernel/);
    fs.writeFileSync(path.join(none, 'run'), '0\n');
    fs.mkdirSync(path.join(none, 'pages_to_scan')); // cannot be written as a file
    const ro = ksm(none);
    expect(ro.status).toBe(0);
    expect(ro.stdout).toMatch(/could not turn KSM on/);
    expect(fs.readFileSync(path.join(none, 'run'), 'utf8').trim()).toBe('0');
    fs.rmSync(none, { recursive: true });
  });

  it('keeps guest RAM mergeable: QEMU is not started with mem-merge=off', () => {
    const args = qemuArgs({
      ...{ dir: '/d', name: 'n', kernel: '/k', initrd: '/i', disk: '/d', memoryMb: 1024, cpus: 2 },
      ...{ mac: '52:54:00:00:00:00', accel: 'tcg', hub: '/h' },
    });
    expect(args.join(' ')).not.toMatch(/mem-merge=off/);
  });
});
