/**
 * The server killed outright (SIGKILL: no Ctrl-C, nothing saved on the way out) and started again:
 * the learner's progress is still there, because every change is written to SQLite as it happens.
 * The real `dockerlab serve` in a child process, with local labs and the workspace fixture lessons.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, TermClient } from './harness.ts';
import type { App } from '../../../engine/server/app.ts';
import type { LessonView } from '../../../engine/protocol.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-restart-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** `dockerlab serve` on `port`; resolves once it says it is serving. */
async function serve(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/dockerlab.js', 'serve'], {
    env: {
      ...process.env,
      PORT: String(port),
      DOCKERLAB_LOCAL_SHELL: '1',
      DOCKERLAB_LESSONS: path.join(import.meta.dirname, 'fixtures/workspace'),
      DOCKERLAB_DATA: path.join(dir, 'data'),
      DL_TEST_DIR: path.join(dir, 'files'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('dockerlab is serving')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out.slice(-1000)}`)));
  });
  return child;
}

describe('server killed with SIGKILL', () => {
  it('keeps the learner’s progress for the next start', async () => {
    const port = await freePort();
    const first = await serve(port);
    const c = new Client(`http://localhost:${port}/`);
    const { learnerId } = await c.session();
    const app = { port } as App;
    const t = TermClient.open(app, c, learnerId, { lesson: '01-replay' });
    await t.until(() => /local[#$] /.test(t.output), 20_000, 'the prompt');
    expect((await c.json('POST', '/api/lessons/01-replay/steps/0/skip')).status).toBe(200);
    await c.json('POST', '/api/lessons/01-replay/steps/1/hint');

    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    await t.closed; // its socket died with it

    await serve(port);
    const again = await c.json<LessonView>('GET', '/api/lessons/01-replay');
    expect(again.status).toBe(200);
    expect(again.body.progress.steps.map((s) => s.passed)).toEqual([true, false]);
    expect(again.body.progress.steps[1]!.hints).toHaveLength(1);
    expect(again.body.progress.currentStep).toBe(1);
    // The learner's page reconnects: a new lab, with the finished step redone.
    const t2 = TermClient.open(app, c, learnerId, { lesson: '01-replay' });
    await t2.until(() => /local[#$] /.test(t2.output), 20_000, 'a prompt after the restart');
    t2.type('test -e "$DL_TEST_DIR/a" && echo replayed-$((5+5))\r');
    await t2.until(() => t2.output.includes('replayed-10'), 10_000, 'the step redone');
    t2.ws.close();
  }, 60_000);
});
