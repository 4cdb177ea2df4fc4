/**
 * `dockerlab serve` as a learner's machine runs it (a child process, local shells): a throw or a
 * rejection that escapes every handler is logged, and the server goes on serving; SIGTERM still
 * ends it cleanly.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { fixtureLessons } from './harness.ts';

it('logs an uncaught exception and an unhandled rejection, and keeps serving', async () => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-serve-'));
  const child = spawn(
    process.execPath,
    ['--import', path.join(import.meta.dirname, 'fixtures/throw-on-signal.mjs'), 'bin/dockerlab.js', 'serve'],
    {
      env: {
        ...process.env,
        PORT: '0',
        DOCKERLAB_LOCAL_SHELL: '1',
        DOCKERLAB_DATA: data,
        DOCKERLAB_LESSONS: fixtureLessons,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await expect.poll(() => /serving: (http:\S+)/.test(stdout), { timeout: 30_000 }).toBe(true);
    const url = /serving: (http:\S+)/.exec(stdout)![1]!;
    expect((await fetch(new URL('/api/session', url))).status).toBe(200);
    child.kill('SIGUSR2');
    await expect
      .poll(() => stderr.includes('uncaught exception') && stderr.includes('unhandled rejection'), {
        timeout: 10_000,
      })
      .toBe(true);
    expect(stderr).toContain('boom: a bug outside every handler');
    expect(child.exitCode).toBeNull();
    expect((await fetch(new URL('/api/session', url))).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
  }
}, 60_000);
