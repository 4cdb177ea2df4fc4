/**
 * A lab that just became ready shows its shell first: the step's baseline and checkpoint (a
 * `savevm` pauses the VM) wait for the shell's first prompt — or for a check, whichever comes
 * first — instead of competing with the shell's start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadLessons } from '../../../engine/lessons/load.ts';
import type { Baseline, Evaluate, Snapshot } from '../../../engine/server/course.ts';
import { localLab, localShell } from '../../../engine/server/local-lab.ts';
import type { LabProvider } from '../../../engine/server/workspace.ts';
import { Client, fileEvaluate, fixtureLessons, TermClient, testApp } from './harness.ts';

const lessonId = '01-files';
let close: (() => Promise<void>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

/** A server whose labs' shells print their first prompt after `delay` seconds. */
async function server(delay: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-first-prompt-'));
  const lessons = path.join(dir, 'lessons');
  fs.mkdirSync(lessons);
  const text = fs.readFileSync(path.join(fixtureLessons, `${lessonId}.md`), 'utf8');
  fs.writeFileSync(
    path.join(lessons, `${lessonId}.md`),
    text.replaceAll('/tmp/dl-test', path.join(dir, 'work')),
  );
  const at: { baseline?: number; checkpoint?: number } = {};
  const given: boolean[] = [];
  const provider: LabProvider = {
    start: async (o) => {
      const slowShell = () => {
        const s = localShell();
        return { file: 'sh', args: ['-c', `sleep ${delay}; exec "$@"`, 'sh', s.file, ...s.args] };
      };
      const lab = localLab(o, slowShell);
      lab.checkpoint = async () => void (at.checkpoint ??= Date.now());
      lab.restore = async () => undefined;
      return lab;
    },
  };
  const baselines: boolean[] = []; // per baseline: had step 1's file been made yet?
  const snapshot: Snapshot = async () => {
    at.baseline ??= Date.now();
    baselines.push(fs.existsSync(path.join(dir, 'work', 'a')));
    return { host1: {} } as unknown as Baseline;
  };
  const evaluate: Evaluate = async (conditions, lab, baseline) => {
    given.push(baseline !== undefined);
    return fileEvaluate(conditions, lab);
  };
  const app = await testApp({ lessons: await loadLessons(lessons), provider, snapshot, evaluate });
  close = async () => {
    await app.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const c = new Client(app.url);
  const { learnerId } = await c.session();
  return { app, c, learnerId, at, given, baselines };
}

const labReady = (t: TermClient) =>
  t.until(
    () => t.events.some((e) => e.type === 'lab' && e.status.state === 'ready'),
    15_000,
    'the lab ready',
  );

describe("a new lab's step beginning", () => {
  it('comes at the first prompt: the shell does not wait for the baseline and the checkpoint', async () => {
    const { app, c, learnerId, at } = await server(1.2);
    const t = TermClient.open(app, c, learnerId, { lesson: lessonId });
    await labReady(t);
    const readyAt = Date.now();
    expect(at.baseline).toBeUndefined();
    expect(at.checkpoint).toBeUndefined();
    await t.until(() => /local[#$] /.test(t.output), 15_000, 'the first prompt');
    const promptAt = Date.now();
    await t.until(() => at.checkpoint !== undefined && at.baseline !== undefined, 5000, 'the step begun');
    // After the shell's sleep, and right after its prompt.
    expect(at.baseline!).toBeGreaterThanOrEqual(readyAt + 900);
    expect(at.checkpoint!).toBeGreaterThanOrEqual(readyAt + 900);
    expect(at.baseline!).toBeLessThanOrEqual(promptAt + 500);
    t.ws.close();
  });

  it('comes at once when a check comes before any prompt, and that check gets the baseline', async () => {
    const { app, c, learnerId, at, given } = await server(30);
    const t = TermClient.open(app, c, learnerId, { lesson: lessonId });
    await labReady(t);
    const r = await c.json<{ ok: boolean }>('POST', `/api/lessons/${lessonId}/check`, {});
    expect(r.status).toBe(200);
    expect(at.baseline).toBeDefined();
    expect(given).toEqual([true]);
    expect(t.output).not.toMatch(/local[#$] /); // no prompt yet: the check made the step begin
    t.ws.close();
  });

  it('comes before the solution runs when the learner skips the step before any prompt', async () => {
    const { app, c, learnerId, baselines } = await server(30);
    const t = TermClient.open(app, c, learnerId, { lesson: lessonId });
    await labReady(t);
    const r = await c.json('POST', `/api/lessons/${lessonId}/steps/0/skip`, {});
    expect(r.status).toBe(200);
    // Step 1's baseline without its file, then step 2's with it.
    expect(baselines).toEqual([false, true]);
    t.ws.close();
  });
});
