/**
 * Every command ends: `dockerlab sandbox snapshot` (the path `sandbox build` takes after the image,
 * and the one the first `npm start` hung in) is run in a child process and must exit by itself
 * once it says the snapshot is ready. It reuses the built image (linked into a cache of its own)
 * and makes a snapshot of a memory size no lab uses, so nothing shared is touched.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { ensureImage, inputsHash } from '../../engine/sandbox/image.ts';
import { repoRoot } from '../../engine/sandbox/paths.ts';

const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerlab-cache-'));
fs.chmodSync(cache, 0o755); // as the real cache: QEMU's user reads the image and snapshot in it
afterAll(() => fs.rmSync(cache, { recursive: true, force: true }));

it('makes a snapshot in a child process that then exits by itself', async () => {
  const image = await ensureImage();
  fs.mkdirSync(path.join(cache, 'images'));
  fs.symlinkSync(image.dir, path.join(cache, 'images', inputsHash()));
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'bin/dockerlab.js'), 'sandbox', 'snapshot', '--memory', '640', '--cpus', '1'],
    { env: { ...process.env, DOCKERLAB_CACHE: cache }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  let readyAt = 0;
  child.stdout.on('data', () => (readyAt ||= out.includes('snapshot ready') ? Date.now() : 0));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const afterReady = Date.now() - readyAt;
  expect(out).toContain('snapshot ready');
  expect(code, out).toBe(0);
  // It exited on its own (the test would otherwise wait here until its timeout); say how soon.
  console.log(`[exits] sandbox snapshot exited ${afterReady} ms after "snapshot ready"`);
  expect(fs.readdirSync(path.join(cache, 'snapshots')).some((d) => d.endsWith('-640m-1c'))).toBe(true);
});
