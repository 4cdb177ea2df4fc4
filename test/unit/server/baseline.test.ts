/**
 * Each step's check gets the lab's state from when that step began (its baseline), so a container
 * renamed is not taken for one removed: taken when the lab is ready, again when a step passes or
 * the learner picks a step, and never at the moment of the check.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLessons } from '../../../engine/lessons/load.ts';
import type { App } from '../../../engine/server/app.ts';
import type { Baseline, Evaluate, Snapshot } from '../../../engine/server/course.ts';
import type { CheckView } from '../../../engine/protocol.ts';
import { Client, fileEvaluate, fixtureLessons, testApp } from './harness.ts';

let dir: string;
let app: App & { dir: string };
/** Snapshots taken so far; each is a baseline carrying its own number. */
let taken = 0;
/** The baseline number each check was given (0: none). */
const given: number[] = [];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-baseline-'));
  // The fixture lesson, on a folder of this test's own (other tests use /tmp/dl-test).
  const lessons = path.join(dir, 'lessons');
  fs.mkdirSync(lessons);
  const text = fs.readFileSync(path.join(fixtureLessons, '01-files.md'), 'utf8');
  fs.writeFileSync(
    path.join(lessons, '01-files.md'),
    text.replaceAll('/tmp/dl-test', path.join(dir, 'work')),
  );
  const snapshot: Snapshot = async () => ({ host1: { taken: ++taken } }) as unknown as Baseline;
  const evaluate: Evaluate = async (conditions, lab, baseline) => {
    given.push((baseline?.host1 as unknown as { taken: number } | undefined)?.taken ?? 0);
    return fileEvaluate(conditions, lab);
  };
  app = await testApp({ lessons: await loadLessons(lessons), evaluate, snapshot });
});
afterAll(async () => {
  await app.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('step baselines', () => {
  it('are taken when a step begins and handed to that step’s checks', async () => {
    const c = new Client(app.url);
    await c.session();
    const check = () => c.json<CheckView>('POST', '/api/lessons/01-files/check', {});
    const step0 = await check(); // starts the lab: step 1 begins once it is ready
    expect(step0.body.ok).toBe(false);
    await check(); // the same step: the same baseline, not a new one
    expect(given).toEqual([1, 1]);

    fs.writeFileSync(path.join(dir, 'work', 'a'), '');
    const pass = await check(); // step 1 passes: step 2 begins now
    expect(pass.body.ok).toBe(true);
    const step1 = await check();
    expect(step1.body.step).toBe(1);
    expect(given).toEqual([1, 1, 1, 2]);

    // The learner goes back to step 1: it begins again, from the lab as it is now.
    await c.json('POST', '/api/lessons/01-files/current', { step: 0 });
    await c.json<CheckView>('POST', '/api/lessons/01-files/check', { step: 0 });
    expect(given).toEqual([1, 1, 1, 2, 3]);
    // That check passed (the file is there), so step 2 began again: a fourth baseline.
    expect(taken).toBe(4);
  });
});
