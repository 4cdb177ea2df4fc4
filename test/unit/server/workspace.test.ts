/**
 * A learner's workspace under faults, through the real server: lying acks, a half-open socket,
 * shells that die at once, a lab that reports a failure, and the learner's own reset. Labs are
 * local bash "labs" (harness.ts) with a fault switch; the VM versions are in test/browser/lab.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, TermClient, testApp } from './harness.ts';
import { RawTerminal } from './raw-ws.ts';
import type { App } from '../../../engine/server/app.ts';
import { faultyProvider } from './faulty.ts';
import { maxQuickExits } from '../../../engine/server/workspace.ts';
import { defaultFlow } from '../../../engine/server/flow.ts';
import type { ShellCommand } from '../../../engine/server/terminal.ts';
import { loadLessons } from '../../../engine/lessons/load.ts';
import type { Lesson } from '../../../engine/lessons/types.ts';
import type { LabStatus, LessonView, ServerEvent } from '../../../engine/protocol.ts';

const lessonId = '01-replay';
let lessons: Lesson[];
let app: (App & { dir: string }) | null = null;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  // This file's own folder: the fixture's setup empties it, and its solutions write in it.
  process.env.DL_TEST_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-ws-'));
  lessons = await loadLessons(path.join(import.meta.dirname, 'fixtures/workspace'));
});
afterEach(async () => {
  await app?.close();
  app = null;
});

const statuses = (events: ServerEvent[]): LabStatus[] =>
  events.flatMap((e) => (e.type === 'lab' ? [e.status] : []));
const readyOn = (events: ServerEvent[], labId: string) =>
  statuses(events).some((s) => s.state === 'ready' && s.labId === labId);
const prompt = /local[#$] /;

/**
 * A page as web/dl-terminal.ts behaves: after the shell exits it connects again (here after
 * 200 ms). Collects every event of every socket it opened.
 */
class Page {
  events: ServerEvent[] = [];
  current: TermClient;
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly a: App,
    private readonly c: Client,
    private readonly token: string,
  ) {
    this.current = this.open();
    this.loop = this.run();
  }

  private open(): TermClient {
    const t = TermClient.open(this.a, this.c, this.token, { lesson: lessonId });
    t.opened.catch(() => {});
    return t;
  }

  private async run(): Promise<void> {
    let seen = 0;
    while (!this.stopped) {
      const ev = this.current.events;
      this.events.push(...ev.slice(seen));
      seen = ev.length;
      if (ev.some((e) => e.type === 'exit')) {
        await sleep(200);
        this.current.ws.close();
        this.current = this.open();
        seen = 0;
      }
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.loop;
    this.current.ws.close();
  }
}

const dying: ShellCommand = { file: 'bash', args: ['-c', 'exit 7'] };

describe('workspace health', () => {
  it('keeps the server bounded when a client acks output it never read', async () => {
    app = await testApp({ lessons, provider: faultyProvider().provider });
    const c = new Client(app.url);
    await c.session();
    const raw = await RawTerminal.open(app.port, c.cookie, c.origin, { lesson: lessonId });
    await raw.until(() => prompt.test(raw.text), 20_000, 'the prompt');
    raw.type('yes\r');
    await raw.until(() => raw.outputBytes > 100_000, 10_000, 'output of yes');
    raw.stopReading();
    const before = raw.outputBytes;
    global.gc?.();
    const rss0 = process.memoryUsage().rss;
    // Lie: "I have rendered another megabyte", every 10 ms for 10 s, while reading nothing.
    const liar = setInterval(() => raw.send({ type: 'ack', bytes: 1 << 20 }), 10);
    await sleep(10_000);
    clearInterval(liar);
    const rss1 = process.memoryUsage().rss;
    // Now read what the server had sent or queued meanwhile (until 1 s of quiet, or far too much).
    raw.startReading();
    let last = -1;
    while (raw.outputBytes !== last && raw.outputBytes - before < 64 << 20) {
      last = raw.outputBytes;
      await sleep(1000);
    }
    const delivered = raw.outputBytes - before;
    process.stdout.write(
      `lying acks for 10 s: delivered ${(delivered / 1048576).toFixed(1)} MiB after the client stopped reading; ` +
        `server process RSS ${(rss0 / 1048576).toFixed(0)} → ${(rss1 / 1048576).toFixed(0)} MiB\n`,
    );
    // What can be in flight: the kernel's socket buffers on both ends (a few MiB on loopback), the
    // high watermark and one batch. Without counting the socket's buffer, `yes` ran unpaused into
    // it: hundreds of MiB.
    expect(delivered).toBeLessThan(16 << 20);
    expect(rss1 - rss0).toBeLessThan(48 << 20);
    expect(defaultFlow.highWatermarkBytes).toBeLessThan(1 << 20);
    raw.destroy();
  }, 60_000);

  it('drops a socket that stops answering pings, and the page reconnects to the same shell', async () => {
    app = await testApp({ lessons, provider: faultyProvider().provider, heartbeatMs: 300 });
    const c = new Client(app.url);
    const { learnerId } = await c.session();
    const raw = await RawTerminal.open(app.port, c.cookie, c.origin, { lesson: lessonId });
    await raw.until(() => prompt.test(raw.text), 20_000, 'the prompt');
    raw.type('export MARK=kept-$((6*7)); echo set-$MARK\r');
    await raw.until(() => raw.text.includes('set-kept-42'), 10_000, 'the echo');
    const w = app.workspaces.get(learnerId);
    expect(w.socketCount).toBe(1);
    // Half-open: the connection stays up but nothing is read, so pings go unanswered.
    raw.stopReading();
    const started = Date.now();
    while (w.socketCount > 0 && Date.now() - started < 10_000) await sleep(50);
    expect(w.socketCount).toBe(0);
    const t = TermClient.open(app, c, learnerId, { lesson: lessonId });
    await t.until(() => t.output.includes('set-kept-42'), 10_000, 'the restored screen');
    t.type('echo again-$MARK\r');
    await t.until(() => t.output.includes('again-kept-42'), 10_000, 'the same shell');
    // A socket that answers is kept, however many pings go by.
    await sleep(1500);
    expect(w.socketCount).toBe(1);
    expect(t.ws.readyState).toBe(t.ws.OPEN);
    t.ws.close();
    raw.destroy();
  });

  it('takes a shell that exits at once, again and again, for a dead lab: no endless respawn, a new lab', async () => {
    const { provider, labs } = faultyProvider((i) => (i === 0 ? dying : undefined));
    app = await testApp({ lessons, provider });
    const c = new Client(app.url);
    const page = new Page(app, c, (await c.session()).learnerId);
    try {
      const deadline = Date.now() + 20_000;
      while (!(labs[1] && readyOn(page.events, labs[1].lab.id)) && Date.now() < deadline) await sleep(50);
      expect(labs).toHaveLength(2);
      // The dead lab got exactly the shells it takes to be sure, then it was stopped, unsaved.
      expect(labs[0]!.shells).toBe(maxQuickExits);
      expect(labs[0]!.down).toBe(true);
      expect(labs[0]!.suspended).toBe(0);
      const failed = statuses(page.events).find((s) => s.state === 'failed');
      expect(failed).toMatchObject({ reason: { zh: expect.stringContaining('停止响应了') } });
      expect(failed).toMatchObject({ reason: { zh: expect.stringContaining('正在为你准备一台新的') } });
      const t = page.current;
      await t.until(() => prompt.test(t.output), 10_000, 'a prompt on the new lab');
      t.type('echo alive-$((3+4))\r');
      await t.until(() => t.output.includes('alive-7'), 10_000, 'the new shell answers');
    } finally {
      await page.close();
    }
  });

  it('stops replacing labs that keep failing, and starts one again only when the learner resets', async () => {
    const { provider, labs } = faultyProvider(() => dying);
    app = await testApp({ lessons, provider });
    const c = new Client(app.url);
    const page = new Page(app, c, (await c.session()).learnerId);
    try {
      const gaveUp = () =>
        statuses(page.events).some((s) => s.state === 'failed' && s.reason.zh.includes('10 分钟内第 3 次'));
      const deadline = Date.now() + 30_000;
      while (!gaveUp() && Date.now() < deadline) await sleep(50);
      expect(gaveUp()).toBe(true);
      expect(labs).toHaveLength(3); // the first and two replacements
      const shells = labs.reduce((n, l) => n + l.shells, 0);
      expect(shells).toBe(3 * maxQuickExits);
      // The page keeps connecting (as after an exit): nothing starts any more.
      for (let i = 0; i < 3; i++) {
        page.current.ws.close();
        const t = TermClient.open(app, c, (await c.session()).learnerId, { lesson: lessonId });
        await t.until(() => statuses(t.events).length > 0, 5000, 'a status');
        expect(statuses(t.events)[0]).toMatchObject({ state: 'failed' });
        t.ws.close();
      }
      await sleep(500);
      expect(labs).toHaveLength(3);
      const check = await c.json<{ error: { zh: string } }>('POST', `/api/lessons/${lessonId}/check`, {});
      expect(check.status).toBe(409);
      const reset = await c.json<LabStatus>('POST', '/api/lab/reset', { lesson: lessonId });
      expect(reset.body.state).toBe('ready');
      expect(labs).toHaveLength(4);
    } finally {
      await page.close();
    }
  });

  it('replaces a lab that reports a failure: never saved, steps redone, a failed redo shown, progress kept', async () => {
    const { provider, labs } = faultyProvider();
    app = await testApp({ lessons, provider });
    const c = new Client(app.url);
    const t = TermClient.open(app, c, (await c.session()).learnerId, { lesson: lessonId });
    await t.until(() => prompt.test(t.output), 20_000, 'the prompt');
    expect((await c.json('POST', `/api/lessons/${lessonId}/steps/0/skip`)).status).toBe(200);
    // A reference solution that fails does not mark the step, and says why.
    const broken = `${process.env.DL_TEST_DIR}.broken`;
    fs.writeFileSync(broken, '');
    const refused = await c.json<{ error: { zh: string } }>('POST', `/api/lessons/${lessonId}/steps/1/skip`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.zh).toContain('退出码 3');
    fs.rmSync(broken);
    expect((await c.json('POST', `/api/lessons/${lessonId}/steps/1/skip`)).status).toBe(200);
    fs.writeFileSync(broken, ''); // from now on step 2 cannot be redone
    t.type('rm "$DL_TEST_DIR/a" && echo gone-$((1+1))\r');
    await t.until(() => t.output.includes('gone-2'), 10_000, 'the file removed');

    labs[0]!.fire({ host: 'host1', cause: 'poweroff', detail: 'test: the guest powered off' });
    await t.until(() => labs[1] !== undefined && readyOn(t.events, labs[1].lab.id), 20_000, 'a new lab');
    const all = statuses(t.events);
    const failedAt = all.findIndex((s) => s.state === 'failed');
    expect(all[failedAt]).toMatchObject({
      reason: { zh: expect.stringMatching(/^你的实验机器关机了。正在为你准备一台新的/) },
    });
    // While the new lab is made, the page keeps saying why.
    expect(all.slice(failedAt + 1).find((s) => s.state === 'starting')).toMatchObject({
      notice: { zh: expect.stringContaining('关机了') },
    });
    const ready = all.at(-1) as Extract<LabStatus, { state: 'ready' }>;
    expect(ready.notice?.zh).toContain('重做第 2 步');
    expect(ready.notice?.zh).toContain('退出码 3');
    expect(labs[0]!.down).toBe(true);
    expect(labs[0]!.suspended).toBe(0);
    // The same socket shows a shell of the new lab, on which step 1 was redone.
    // The new shell's screen starts with a reset (ESC c), then its prompt.
    await t.until(
      () => prompt.test(t.output.slice(t.output.indexOf('\x1bc', t.output.indexOf('gone-2')))),
      10_000,
      'a new prompt',
    );
    t.type('test -e "$DL_TEST_DIR/a" && echo replayed-$((2*3))\r');
    await t.until(() => t.output.includes('replayed-6'), 10_000, 'the step redone');
    const view = await c.json<LessonView>('GET', `/api/lessons/${lessonId}`);
    expect(view.body.progress.steps.map((s) => s.passed)).toEqual([true, true]);
    fs.rmSync(broken);
    // A late report from the old lab changes nothing.
    labs[0]!.fire({ host: null, cause: 'supervisor', detail: 'late' });
    await sleep(200);
    expect(labs).toHaveLength(2);
    t.ws.close();
  });

  it('takes a lab that fails while it is being prepared for failed, never for ready', async () => {
    const { provider, labs } = faultyProvider();
    app = await testApp({ lessons, provider });
    const c = new Client(app.url);
    const t = TermClient.open(app, c, (await c.session()).learnerId, { lesson: lessonId });
    await t.until(() => prompt.test(t.output), 20_000, 'the prompt');
    await c.json('POST', `/api/lessons/${lessonId}/steps/0/skip`);
    // The first lab fails; its replacement fails too, while its setup is still running.
    let release = () => {};
    const reset = c.json<LabStatus>('POST', '/api/lab/reset', { lesson: lessonId });
    await t.until(() => labs.length === 2, 10_000, 'a second lab');
    labs[1]!.hold = new Promise<void>((r) => (release = r));
    await t.until(() => statuses(t.events).some((s) => s.state === 'starting'), 10_000, 'preparing');
    await sleep(300); // the setup is waiting on `hold` by now (a local exec takes milliseconds)
    labs[1]!.fire({ host: 'host1', cause: 'crash', detail: 'test: crashed while prepared' });
    release();
    await t.until(() => labs[2] !== undefined && readyOn(t.events, labs[2].lab.id), 20_000, 'a third lab');
    expect(readyOn(t.events, labs[1]!.lab.id)).toBe(false);
    expect(statuses(t.events)).toContainEqual(
      expect.objectContaining({
        state: 'failed',
        reason: expect.objectContaining({ zh: expect.stringContaining('崩溃了') }),
      }),
    );
    expect(labs[1]!.suspended).toBe(0);
    await reset.catch(() => undefined); // the reset's own lab failed: its answer is an error
    t.ws.close();
  });

  it('resets the lab on request: a new lab and shell, the steps redone, progress kept', async () => {
    const { provider, labs, forgotten } = faultyProvider();
    app = await testApp({ lessons, provider });
    const c = new Client(app.url);
    const { learnerId } = await c.session();
    const t = TermClient.open(app, c, learnerId, { lesson: lessonId });
    await t.until(() => prompt.test(t.output), 20_000, 'the prompt');
    t.type('export MARK=old; echo set-$MARK\r');
    await t.until(() => t.output.includes('set-old'), 10_000, 'the echo');
    await c.json('POST', `/api/lessons/${lessonId}/steps/0/skip`);

    expect((await c.json('POST', '/api/lab/reset', { lesson: 'no-such-lesson' })).status).toBe(404);
    const r = await c.json<LabStatus>('POST', '/api/lab/reset', { lesson: lessonId });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      state: 'ready',
      labId: labs[1]!.lab.id,
      notice: { zh: expect.stringContaining('按你的要求') },
    });
    expect(labs[0]!.down).toBe(true);
    expect(labs[0]!.suspended).toBe(0);
    expect(forgotten).toEqual([learnerId]);
    t.output = '';
    await t.until(() => prompt.test(t.output), 10_000, 'a prompt of the new shell');
    t.type('echo "new-[$MARK]"; test -e "$DL_TEST_DIR/a" && echo replayed-$((2*4))\r');
    await t.until(() => t.output.includes('replayed-8'), 10_000, 'the new shell');
    expect(t.output).toContain('new-[]');
    const view = await c.json<LessonView>('GET', `/api/lessons/${lessonId}`);
    expect(view.body.progress.steps[0]!.passed).toBe(true);
    t.ws.close();
  });
});
