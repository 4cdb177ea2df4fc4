/**
 * Serving needs no root: once setup (as root) has built the image and snapshot, a lab started by an
 * unprivileged user (here `nobody`) runs, answers commands with a working dockerd, keeps its state
 * under that user's own ~/.dockerlab, and runs its QEMU as that user.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureImage, ensureSnapshot } from '../../engine/sandbox/image.ts';
import { defaults } from '../../engine/sandbox/lab.ts';
import { repoRoot } from '../../engine/sandbox/paths.ts';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerlab-nobody-'));
let labId = '';

/** The dockerlab CLI as `nobody`, with a home of its own. */
function asNobody(...args: string[]) {
  return spawnSync(
    'setpriv',
    [
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
      '--',
      process.execPath,
      'bin/dockerlab.js',
      ...args,
    ],
    { cwd: repoRoot, env: { ...process.env, HOME: home }, encoding: 'utf8', timeout: 600_000 },
  );
}

beforeAll(async () => {
  // What setup does, as root: the image and the snapshot in the shared cache.
  await ensureSnapshot(await ensureImage(), defaults.memoryMb, defaults.cpus);
  execFileSync('chown', ['nobody:nogroup', home]);
});
afterAll(() => {
  if (labId) asNobody('sandbox', 'down', labId);
  fs.rmSync(home, { recursive: true, force: true });
});

it('runs a lab for a user who is not root', () => {
  const up = asNobody('sandbox', 'up');
  expect(up.status, up.stderr).toBe(0);
  labId = up.stdout.trim().split('\n').pop()!;
  expect(fs.existsSync(path.join(home, '.dockerlab', 'labs', labId))).toBe(true);
  const qemu = execFileSync('ps', ['-o', 'user=,args=', '-C', 'qemu-system-x86_64'], { encoding: 'utf8' });
  const line = qemu.split('\n').find((l) => l.includes(path.join(home, '.dockerlab', 'labs', labId)));
  expect(line, qemu).toBeDefined();
  expect(line!.split(/\s+/)[0]).toBe('nobody');
  const run = asNobody('sandbox', 'exec', labId, '--', 'docker', 'info', '--format', '{{.ServerVersion}}');
  expect(run.status, run.stderr).toBe(0);
  expect(run.stdout.trim()).toMatch(/^\d+\.\d+/);
  const down = asNobody('sandbox', 'down', labId);
  expect(down.status, down.stderr).toBe(0);
  labId = '';
  expect(fs.readdirSync(path.join(home, '.dockerlab', 'labs'))).toEqual([]);
});
