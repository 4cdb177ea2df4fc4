/**
 * The topology's trigger: the server's `command` event, through the real server and a local-bash
 * lab (no VM). It comes after every command, also once every step has passed (when no check runs
 * and so no `check` event comes), and after a skip ran a step's solution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../../engine/protocol.ts';
import type { App } from '../../../engine/server/app.ts';
import { Client, TermClient, testApp } from '../server/harness.ts';

const lessonId = '01-files'; // two steps (test/unit/server/fixtures/lessons)
let app: App & { dir: string };

beforeAll(async () => {
  app = await testApp();
});
afterAll(() => app?.close());

const commands = (events: ServerEvent[]) => events.flatMap((e) => (e.type === 'command' ? [e] : []));

describe('the command event (what the topology refreshes on)', () => {
  it('after each command with the step the learner is on; after a skip; and after the last step too', async () => {
    const c = new Client(app.url);
    const { learnerId } = await c.session();
    const t = TermClient.open(app, c, learnerId, { lesson: lessonId });
    await t.opened;
    await t.until(() => /local[#$] /.test(t.output), 20_000, 'the prompt');

    t.type('true\r');
    await t.until(() => commands(t.events).length >= 1, 20_000, 'a command event');
    const [first] = commands(t.events);
    expect(first).toEqual({ type: 'command', lessonId, step: 0 });
    // The auto-check starts right after it (the panel waits for its result before it looks).
    const i = t.events.indexOf(first!);
    await t.until(() => t.events.slice(i).some((e) => e.type === 'checking'), 20_000, 'the check');

    // A skip ran each step's solution: the lab changed, the event says which step.
    for (const step of [0, 1]) {
      const r = await c.json('POST', `/api/lessons/${lessonId}/steps/${step}/skip`);
      expect(r.status).toBe(200);
      await t.until(
        () => commands(t.events).some((e) => e.step === step && t.events.indexOf(e) > i),
        20_000,
        `the command event of skip ${step}`,
      );
    }

    // Every step done: no check runs any more, but a command is still announced.
    const before = t.events.length;
    t.type('true\r');
    await t.until(
      () => commands(t.events.slice(before)).length >= 1,
      20_000,
      'a command event after the end',
    );
    expect(commands(t.events.slice(before))[0]).toEqual({ type: 'command', lessonId, step: 2 });
    // A check would be announced right behind its command: a second command's event is past it.
    t.type('true\r');
    await t.until(() => commands(t.events.slice(before)).length >= 2, 20_000, 'the second command event');
    expect(t.events.slice(before).filter((e) => e.type === 'checking' || e.type === 'check')).toEqual([]);
    t.ws.close();
  });
});
