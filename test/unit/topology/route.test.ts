/**
 * GET /api/lessons/:lesson/topology through the real server, with a local bash standing in for the
 * VM (the harness's local labs): the inspector then reads this machine's own network, read-only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError } from '../../../engine/protocol.ts';
import type { TopologyView } from '../../../engine/topology/types.ts';
import { Client, TermClient, testApp } from '../server/harness.ts';

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

  it('draws the lab once it runs: the host, its namespace and its interfaces, and keeps a history', async () => {
    const c = new Client(app.url);
    const t = TermClient.open(app, c, (await c.session()).learnerId, { lesson: lessonId });
    await t.until(
      () => t.events.some((e) => e.type === 'lab' && e.status.state === 'ready'),
      20_000,
      'lab ready',
    );
    const r = await c.json<TopologyView>('GET', `/api/lessons/${lessonId}/topology?step=0`);
    expect(r.status).toBe(200);
    const ids = r.body.graph.nodes.map((n) => n.id);
    expect(ids).toEqual(expect.arrayContaining(['lan', 'host1', 'host1/ns:host', 'host1/ns:host/if:lo']));
    expect(r.body.history).toEqual([]);
    expect(r.body.lessonId).toBe(lessonId);
    // A bad ?step= is ignored (the current step is used), not an error.
    expect((await c.json<TopologyView>('GET', `/api/lessons/${lessonId}/topology?step=-3`)).status).toBe(200);
    t.ws.close();
  });
});
