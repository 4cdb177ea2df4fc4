/**
 * GET /api/lessons/:lesson/topology through the real server, before any lab. (With a lab it is
 * tested on a real VM in test/browser/topology-lab.test.ts: a local stand-in lab would install and
 * start the inspector on this machine.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError } from '../../../engine/protocol.ts';
import { Client, testApp } from '../server/harness.ts';

const lessonId = '01-files';
let app: Awaited<ReturnType<typeof testApp>>;

beforeAll(async () => {
  app = await testApp();
});
afterAll(async () => {
  await app?.close();
});

describe('the topology route', () => {
  it('says the lab is not ready before there is one, and knows no lesson that does not exist', async () => {
    const c = new Client(app.url);
    await c.session();
    const early = await c.json<ApiError>('GET', `/api/lessons/${lessonId}/topology`);
    expect(early.status).toBe(409);
    expect(early.body.error.zh).toContain('实验机器还没准备好');
    const none = await c.json<ApiError>('GET', '/api/lessons/99-nothing/topology');
    expect(none.status).toBe(404);
  });
});
