/** The server end to end over HTTP and WebSocket, with local-bash labs (no VM). */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, TermClient, testApp } from './harness.ts';
import type {
  ApiError,
  CheckView,
  LessonSummary,
  LessonView,
  ServerEvent,
  SessionView,
} from '../../../engine/protocol.ts';
import type { App } from '../../../engine/server/app.ts';
import { defaultFlow } from '../../../engine/server/flow.ts';
import { splitInput } from '../../../engine/protocol.ts';

const lessonId = '01-files';
let app: App & { dir: string };

beforeAll(async () => {
  process.env.DL_TEST_DIR = '/tmp/dl-test';
  app = await testApp({ maxLabs: 10 });
});
afterAll(() => app.close());

const checks = (events: ServerEvent[]) => events.flatMap((e) => (e.type === 'check' ? [e] : []));

describe('server', () => {
  it('gives a new visitor a session cookie and lists the lessons', async () => {
    const c = new Client(app.url);
    const s = await c.session();
    expect(c.cookie).toMatch(/^dl_sid=/);
    expect(s.learnerId).toMatch(/^[0-9a-f]{16}$/);
    // The cookie is the session secret, HttpOnly and not the public id the page sees.
    expect(c.cookie).not.toContain(s.learnerId);
    expect(JSON.stringify(s)).not.toContain(c.cookie.slice('dl_sid='.length));
    const lessons = await c.json<LessonSummary[]>('GET', '/api/lessons');
    expect(lessons.body.map((l) => l.id)).toEqual([lessonId, '02-two-hosts']);
    const view = await c.json<LessonView>('GET', `/api/lessons/${lessonId}`);
    expect(view.body.steps[0]!.hintCount).toBe(2);
    // Neither the check nor the solution goes to the page unasked.
    expect(JSON.stringify(view.body)).not.toContain('dl-test/a"');
    expect(view.body.progress.steps[0]!.solution).toBeNull();
  });

  it('checks the step by itself when a command finishes, and keeps the progress', async () => {
    const c = new Client(app.url);
    const { learnerId: token } = await c.session();
    const t = TermClient.open(app, c, token, { lesson: lessonId });
    await t.opened;
    await t.until(() => /local[#$] /.test(t.output), 20_000, 'the prompt');
    t.type('ls /nonexistent-dir\r');
    await t.until(() => checks(t.events).length >= 1, 20_000, 'a failing check');
    const failed = checks(t.events)[0]!.result;
    expect(failed.ok).toBe(false);
    expect(failed.conditions[0]!.messages[0]!.zh).toContain('还没有');
    t.type('touch /tmp/dl-test/a\r');
    await t.until(() => checks(t.events).some((e) => e.result.ok), 20_000, 'a passing check');
    const passed = checks(t.events).find((e) => e.result.ok)!;
    expect(passed.result.step).toBe(0);
    expect(passed.progress.currentStep).toBe(1);
    t.ws.close();
    const again = await c.json<LessonView>('GET', `/api/lessons/${lessonId}`);
    expect(again.body.progress.steps[0]!.passed).toBe(true);
    expect(again.body.progress.currentStep).toBe(1);
  });

  it('restores the screen and the same shell on reconnect', async () => {
    const c = new Client(app.url);
    const { learnerId: token } = await c.session();
    const t1 = TermClient.open(app, c, token, { lesson: lessonId });
    await t1.until(() => /local[#$] /.test(t1.output), 20_000, 'the prompt');
    t1.type('echo $$ > /dev/null; export MARK=kept-$((6*7))\r');
    t1.type('echo marker-$MARK\r');
    await t1.until(() => t1.output.includes('marker-kept-42'), 10_000, 'the echo');
    t1.ws.close();
    await t1.closed;
    const t2 = TermClient.open(app, c, token, { lesson: lessonId });
    await t2.until(() => t2.output.includes('marker-kept-42'), 10_000, 'the restored screen');
    t2.type('echo again-$MARK\r');
    await t2.until(() => t2.output.includes('again-kept-42'), 10_000, 'the same shell');
    t2.ws.close();
  });

  it('refuses a foreign origin, no Origin, and no or an unknown cookie with 403', async () => {
    const a = new Client(app.url);
    const { learnerId: token } = await a.session();
    const foreign = new Client(app.url, 'http://evil.example');
    foreign.cookie = a.cookie;
    await expect(TermClient.open(app, foreign, token, { lesson: lessonId }).opened).rejects.toThrow(
      'HTTP 403',
    );
    const url = `ws://127.0.0.1:${app.port}/ws/terminal?lesson=${lessonId}`;
    await expect(new TermClient(url, { cookie: a.cookie }).opened).rejects.toThrow('HTTP 403');
    const stranger = new Client(app.url);
    await expect(TermClient.open(app, stranger, token, { lesson: lessonId }).opened).rejects.toThrow(
      'HTTP 403',
    );
    stranger.cookie = 'dl_sid=made-up';
    await expect(TermClient.open(app, stranger, token, { lesson: lessonId }).opened).rejects.toThrow(
      'HTTP 403',
    );
  });

  it('opens hints one by one, shows the solution when asked, and skips a step', async () => {
    const c = new Client(app.url);
    await c.session();
    const h1 = await c.json<{ hints: string[] }>('POST', `/api/lessons/${lessonId}/steps/0/hint`);
    expect(h1.body.hints).toHaveLength(1);
    const h3 = await c.json<{ hints: string[] }>('POST', `/api/lessons/${lessonId}/steps/0/hint`);
    await c.json('POST', `/api/lessons/${lessonId}/steps/0/hint`);
    expect(h3.body.hints).toHaveLength(2);
    const sol = await c.json<{ solution: Record<string, string> }>(
      'POST',
      `/api/lessons/${lessonId}/steps/1/solution`,
    );
    expect(sol.body.solution.host1).toContain('touch /tmp/dl-test/b');
    const skipped = await c.json<{ steps: { passed: boolean; skipped: boolean }[] }>(
      'POST',
      `/api/lessons/${lessonId}/steps/1/skip`,
    );
    expect(skipped.body.steps[1]).toMatchObject({ passed: true, skipped: true });
    const check = await c.json<CheckView>('POST', `/api/lessons/${lessonId}/check`, { step: 1 });
    expect(check.body.ok).toBe(true);
  });

  it('refuses a cross-origin POST', async () => {
    const c = new Client(app.url, 'http://evil.example');
    const r = await fetch(new URL(`/api/lessons/${lessonId}/steps/0/hint`, app.url), {
      method: 'POST',
      headers: { origin: c.origin },
    });
    expect(r.status).toBe(403);
  });

  it('queues learners beyond the lab cap and stops idle labs', async () => {
    const small = await testApp({ maxLabs: 1, idleMs: 1500 });
    try {
      const a = new Client(small.url);
      const b = new Client(small.url);
      const ta = TermClient.open(small, a, (await a.session()).learnerId, { lesson: lessonId });
      await ta.until(
        () => ta.events.some((e) => e.type === 'lab' && e.status.state === 'ready'),
        10_000,
        'A ready',
      );
      const tb = TermClient.open(small, b, (await b.session()).learnerId, { lesson: lessonId });
      const queued = () =>
        tb.events.some((e) => e.type === 'lab' && e.status.state === 'queued' && e.status.position === 1);
      await tb.until(queued, 10_000, 'B queued');
      // A goes quiet: after the idle time its lab stops, A is told, and B gets the machine.
      await ta.until(
        () => ta.events.some((e) => e.type === 'lab' && e.status.state === 'stopped'),
        10_000,
        'A stopped',
      );
      await tb.until(
        () => tb.events.some((e) => e.type === 'lab' && e.status.state === 'ready'),
        10_000,
        'B ready',
      );
      ta.ws.close();
      tb.ws.close();
    } finally {
      await small.close();
    }
  });

  it('pauses the shell while the browser does not ack, and Ctrl-C stops `yes`', async () => {
    const c = new Client(app.url);
    const t = TermClient.open(app, c, (await c.session()).learnerId, { lesson: lessonId });
    await t.until(() => /local[#$] /.test(t.output), 20_000, 'the prompt');
    t.autoAck = false;
    t.type('yes\r');
    await t.until(() => t.received > 200_000, 10_000, 'output of yes');
    await new Promise((r) => setTimeout(r, 1000));
    const stalled = t.received;
    await new Promise((r) => setTimeout(r, 500));
    // Paused: nothing more arrives, and what arrived is bounded by the high watermark plus one batch.
    expect(t.received).toBe(stalled);
    expect(stalled).toBeLessThan(defaultFlow.highWatermarkBytes + 2 * defaultFlow.maxBatchBytes);
    t.autoAck = true;
    t.type('\x03');
    t.ackAll();
    t.output = '';
    await t.until(() => /\^C\r\n[^]*local[#$] /.test(t.output), 5000, 'the prompt after Ctrl-C');
    t.ws.close();
  });

  it('keeps at most 4 MiB of input for a shell that is not reading, says so once, and goes on', async () => {
    const c = new Client(app.url);
    const t = TermClient.open(app, c, (await c.session()).learnerId, { lesson: lessonId });
    await t.until(() => /local[#$] /.test(t.output), 20_000, 'the prompt');
    // Nothing reads the terminal for a second, then cat swallows whatever came.
    t.type('stty -echo -icanon; sleep 1; timeout 1 cat > /dev/null; stty sane; echo READ-$((1+1))\r');
    await new Promise((r) => setTimeout(r, 200));
    const paste = 'a'.repeat(1000 * 1000);
    for (let i = 0; i < 6; i++) t.type(paste); // 6 MB pasted into `sleep`
    await t.until(() => t.output.includes('READ-2'), 10_000, 'cat to end');
    expect(t.output.split('[dockerlab] 输入积压超过 4 MiB').length - 1).toBe(1);
    expect(t.output).toContain('the rest was dropped');
    t.output = '';
    t.type('echo still-$((40+2))\r');
    await t.until(() => t.output.includes('still-42'), 5000, 'the shell to answer');
    t.ws.close();
  });

  it('signs a learner in by class code, name and PIN on any computer, and refuses a classmate’s name with another PIN', async () => {
    const classApp = await testApp({ classCode: 'docker-2026' });
    const signIn = (c: Client, name: string, pin: string, classCode = 'docker-2026') =>
      c.json<SessionView & ApiError>('POST', '/api/session', { classCode, name, pin });
    try {
      const first = new Client(classApp.url);
      // Class mode: nobody is made anonymously; the page is told to sign in.
      const anonymous = await first.json<ApiError>('GET', '/api/session');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error.zh).toContain('先登录');
      expect(first.cookie).toBe('');
      expect((await signIn(first, '小李', '2468', 'nope')).status).toBe(403);
      expect((await signIn(first, '小李', '12')).status).toBe(400);
      const signed = await signIn(first, '小李', '2468');
      expect(signed.status).toBe(200);
      expect(signed.body).toMatchObject({ name: '小李', classCode: true });
      await first.json('POST', `/api/lessons/${lessonId}/steps/1/skip`);
      // The same name and PIN on another computer: the same learner, the same progress.
      const elsewhere = new Client(classApp.url);
      const again = await signIn(elsewhere, '小李', '2468');
      expect(again.body.learnerId).toBe(signed.body.learnerId);
      expect(elsewhere.cookie).not.toBe(first.cookie);
      const view = await elsewhere.json<LessonView>('GET', `/api/lessons/${lessonId}`);
      expect(view.body.progress.steps[1]!.skipped).toBe(true);
      // A classmate typing 小李's name without the PIN gets nothing of 小李's.
      const classmate = new Client(classApp.url);
      const taken = await signIn(classmate, '小李', '1357');
      expect(taken.status).toBe(403);
      expect(taken.body.error.zh).toContain('PIN 不对');
      expect(classmate.cookie).toBe('');
      expect((await classmate.json('GET', '/api/session')).status).toBe(401);
      const url = `ws://127.0.0.1:${classApp.port}/ws/terminal?lesson=${lessonId}`;
      await expect(
        new TermClient(url, { cookie: classmate.cookie, origin: classmate.origin }).opened,
      ).rejects.toThrow('HTTP 403');
      // Both computers stay signed in.
      expect((await first.session()).learnerId).toBe(signed.body.learnerId);
    } finally {
      await classApp.close();
    }
  });

  it('takes a 1.2 MiB paste whole, sent as the page sends it (frames of at most 16 KiB)', async () => {
    const c = new Client(app.url);
    const t = TermClient.open(app, c, (await c.session()).learnerId, { lesson: lessonId });
    await t.until(() => /local[#$] /.test(t.output), 20_000, 'the prompt');
    const file = path.join(app.dir, 'paste.txt');
    // Paste once the command runs: bytes arriving while readline still has the terminal raw would
    // keep their \r (the line discipline converts \r to \n only in the shell's cooked mode).
    t.type(`stty -echo; echo cat-is-$((6*7)); cat > ${file}; stty echo; wc -c < ${file}\r`);
    await t.until(() => t.output.includes('cat-is-42'), 10_000, 'cat running');
    const line = `${'a'.repeat(60)}汉字😀\r`; // 71 bytes
    const paste = new TextEncoder().encode(line.repeat(18_000));
    const frames = splitInput(paste);
    expect(Math.max(...frames.map((f) => f.length))).toBeLessThanOrEqual(16 * 1024);
    for (const data of frames) t.send({ type: 'input', data });
    t.type('\x04');
    await t.until(() => t.output.includes(`${paste.length}`), 30_000, 'the size of the pasted file');
    expect(paste.length).toBe(1_278_000);
    expect(fs.readFileSync(file, 'utf8')).toBe(line.replace('\r', '\n').repeat(18_000));
    t.ws.close();
  });

  it('gives each host of a multi-host lesson its own shell, and no others', async () => {
    const c = new Client(app.url);
    const { learnerId: token } = await c.session();
    const t1 = TermClient.open(app, c, token, { lesson: '02-two-hosts', host: 'host1' });
    const t2 = TermClient.open(app, c, token, { lesson: '02-two-hosts', host: 'host2' });
    await t1.until(() => /local[#$] /.test(t1.output), 20_000, 'host1 prompt');
    await t2.until(() => /local[#$] /.test(t2.output), 20_000, 'host2 prompt');
    t2.type('echo only-on-$((1+1))\r');
    await t2.until(() => t2.output.includes('only-on-2'), 10_000, 'host2 echo');
    expect(t1.output).not.toContain('only-on-2');
    await expect(
      TermClient.open(app, c, token, { lesson: '02-two-hosts', host: 'host3' }).opened,
    ).rejects.toThrow('HTTP 404');
    t1.ws.close();
    t2.ws.close();
  });
});
