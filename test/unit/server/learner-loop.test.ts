/**
 * When the server says ✗, what a skip shows, and 从头做这一步 refused with a way out, against the
 * real server with a local bash for a lab (fixtures/loop). The same on a real VM, in the browser:
 * test/browser/lab-loop.test.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, TermClient, testApp } from './harness.ts';
import { loadLessons } from '../../../engine/lessons/load.ts';
import type { App } from '../../../engine/server/app.ts';
import type {
  ApiError,
  CheckView,
  LessonSummary,
  ProgressView,
  ServerEvent,
} from '../../../engine/protocol.ts';

const lessonId = '01-loop';
const dir = '/tmp/dl-l1-loop';
let app: App & { dir: string };

beforeAll(async () => {
  app = await testApp({
    maxLabs: 10,
    lessons: await loadLessons(path.join(import.meta.dirname, 'fixtures/loop')),
  });
});
afterAll(() => app.close());

const checks = (events: ServerEvent[]) => events.flatMap((e) => (e.type === 'check' ? [e.result] : []));

/** A learner with the lesson's terminal open, at the prompt. */
async function learner(): Promise<{ c: Client; t: TermClient }> {
  const c = new Client(app.url);
  const { learnerId } = await c.session();
  const t = TermClient.open(app, c, learnerId, { lesson: lessonId });
  await t.opened;
  await t.until(() => /local[#$] /.test(t.output), 20_000, 'the prompt');
  return { c, t };
}

describe('the learner’s loop', () => {
  it('says ✗ only for a step worked on, after a second look; else 还没检测到 (tentative)', async () => {
    const { c, t } = await learner();
    // Worked on (a command started while step 1 was current), still missing after the second look.
    t.type('ls /nonexistent-dir\r');
    await t.until(() => checks(t.events).length >= 1, 20_000, 'a check');
    const wrong = checks(t.events)[0]!;
    expect(wrong).toMatchObject({ step: 0, ok: false });
    expect(wrong.tentative).toBeUndefined();

    // A command that starts on step 1 and ends after step 1 passed (by 检查): its check of step 2,
    // which nobody has worked on yet, is no verdict.
    // `true` is typed ahead: it starts after step 1 passed, but was entered before.
    t.type('sleep 1.5\rtrue\r');
    await new Promise((r) => setTimeout(r, 300));
    fs.writeFileSync(`${dir}/a`, '');
    const asked = await c.json<CheckView>('POST', `/api/lessons/${lessonId}/check`, {});
    expect(asked.body).toMatchObject({ step: 0, ok: true });
    await t.until(() => checks(t.events).filter((r) => r.step === 1).length >= 2, 20_000, 'sleep, true');
    for (const untouched of checks(t.events).filter((r) => r.step === 1))
      expect(untouched).toMatchObject({ ok: false, tentative: true });
    const view = await c.json<{ progress: ProgressView }>('GET', `/api/lessons/${lessonId}`);
    expect(view.body.progress.steps[1]!.last?.tentative).toBe(true);

    // Done in the background a second after the prompt is back: the second look sees it, no ✗.
    const before = checks(t.events).length;
    t.type(`(sleep 1; touch ${dir}/b) &\r`);
    await t.until(() => checks(t.events).some((r) => r.step === 1 && r.ok), 20_000, 'step 2 passes');
    const after = checks(t.events).slice(before);
    expect(after.filter((r) => !r.ok && !r.tentative)).toEqual([]);
    t.ws.close();
  });

  it('skip runs the solution where the page sees it, clears the old ✗ and stays 已跳过', async () => {
    const { c, t } = await learner();
    fs.writeFileSync(`${dir}/a`, '');
    t.type('ls /nonexistent-dir\r'); // any command: its check finds step 1 done
    await t.until(() => checks(t.events).some((r) => r.step === 0 && r.ok), 20_000, 'step 1 passes');
    await c.json<CheckView>('POST', `/api/lessons/${lessonId}/check`, {}); // 检查 on step 2: ✗
    const skipped = await c.json<ProgressView>('POST', `/api/lessons/${lessonId}/steps/1/skip`);
    expect(skipped.status).toBe(200);
    expect(skipped.body.steps[1]).toMatchObject({ passed: true, skipped: true });
    expect(skipped.body.steps[1]!.last).toMatchObject({ ok: true, conditions: [] });
    expect(skipped.body.currentStep).toBe(2);
    await t.until(
      () => t.events.some((e) => e.type === 'skip' && e.progress.phase === 'end'),
      10_000,
      'the end of the skip',
    );
    const progress = t.events.flatMap((e) => (e.type === 'skip' && e.step === 1 ? [e.progress] : []));
    expect(progress[0]).toMatchObject({
      phase: 'start',
      scripts: { host1: expect.stringContaining('making-b') },
    });
    expect(progress.some((p) => p.phase === 'host' && p.host === 'host1')).toBe(true);
    const printed = progress.map((p) => (p.phase === 'output' ? p.text : '')).join('');
    expect(printed).toContain('making-b-42');
    expect(progress.at(-1)).toMatchObject({ phase: 'end', ok: true });
    expect(fs.existsSync(`${dir}/b`)).toBe(true);

    const list = await c.json<LessonSummary[]>('GET', '/api/lessons');
    expect(list.body.find((l) => l.id === lessonId)).toMatchObject({ passed: 2, skipped: 1 });
    t.ws.close();
  });

  it('starts each lesson on a lab of its own, and says so while it starts', async () => {
    const { c, t } = await learner();
    const first = t.events.flatMap((e) =>
      e.type === 'lab' && e.status.state === 'ready' ? [e.status.labId] : [],
    );
    expect(first).toHaveLength(1);
    t.ws.close();
    const { learnerId } = await c.session();
    const next = TermClient.open(app, c, learnerId, { lesson: '02-loop-next' });
    await next.until(() => /local[#$] /.test(next.output), 20_000, 'the prompt of the next lesson');
    const statuses = next.events.flatMap((e) => (e.type === 'lab' ? [e.status] : []));
    const starting = statuses.find((s) => s.state === 'starting' && s.notice);
    expect(starting?.state === 'starting' && starting.notice?.zh).toContain('干净的机器');
    const ready = statuses.at(-1);
    expect(ready?.state).toBe('ready');
    expect(ready?.state === 'ready' && ready.labId).not.toBe(first[0]);
    next.ws.close();
  });

  it('still says ✗ after the lab was reset under a running command', async () => {
    const { c, t } = await learner();
    t.type('sleep 100\r'); // runs when the lab goes: its shell ends without a prompt
    await new Promise((r) => setTimeout(r, 500));
    const mark = t.output.length;
    const reset = await c.json<{ state: string }>('POST', '/api/lab/reset', { lesson: lessonId });
    expect(reset.body.state).toBe('ready');
    await t.until(() => /local[#$] /.test(t.output.slice(mark)), 20_000, 'the new shell');
    const before = checks(t.events).length;
    t.type('ls /nonexistent-dir\r');
    await t.until(() => checks(t.events).length > before, 20_000, 'a check');
    expect(checks(t.events).at(-1)).toMatchObject({ step: 0, ok: false });
    expect(checks(t.events).at(-1)!.tentative).toBeUndefined();
    t.ws.close();
  });

  it('refuses 从头做这一步 with a way out where the lab keeps no checkpoint, or for another step', async () => {
    const { c, t } = await learner();
    const other = await c.json<ApiError>('POST', `/api/lessons/${lessonId}/steps/2/restart`);
    expect(other.status).toBe(409);
    expect(other.body.error.zh).toContain('只能从头做你正在做的这一步');
    const none = await c.json<ApiError>('POST', `/api/lessons/${lessonId}/steps/0/restart`);
    expect(none.status).toBe(409);
    expect(none.body.error.zh).toContain('重置实验机器');
    t.ws.close();
  });
});
