/**
 * The real server (local-bash labs, real SQLite) against malformed input over raw TCP: the crafted
 * cases in fuzz-kit.ts, then seeded random requests, upgrades and WebSocket frames. After every
 * case the server must still answer GET /api/session with 200, and nothing may have escaped a
 * handler (no uncaught exception, no 500).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, testApp } from './harness.ts';
import type { App } from '../../../engine/server/app.ts';
import {
  crafted,
  randomFrame,
  randomRequest,
  randomUpgrade,
  rawRequest,
  rawSocket,
  rng,
  upgradeRequest,
  type FuzzTarget,
} from './fuzz-kit.ts';

const seed = Number(process.env.FUZZ_SEED ?? 20261128);
const counts = { requests: 300, upgrades: 100, socketsWithFrames: 40 };

let app: App & { dir: string };
let target: FuzzTarget;
const escaped: string[] = [];
const onEscape = (e: unknown) => escaped.push(String((e as Error)?.stack ?? e));

beforeAll(async () => {
  process.env.DL_TEST_DIR = '/tmp/dl-test';
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  app = await testApp({ maxLabs: 4 });
  fs.mkdirSync(path.join(app.dir, 'dist'));
  fs.writeFileSync(path.join(app.dir, 'dist/index.html'), '<!doctype html><title>dockerlab</title>');
  const c = new Client(app.url);
  await c.session();
  target = { port: app.port, cookie: c.cookie };
});
afterAll(async () => {
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  await app.close();
});

/** The server still serves, and nothing escaped a handler since the last case. */
async function stillServing(what: string): Promise<void> {
  const r = await fetch(new URL('/api/session', app.url), { headers: { cookie: target.cookie } });
  expect(r.status, `GET /api/session after ${what}`).toBe(200);
  expect(escaped, `uncaught after ${what}`).toEqual([]);
}

describe('fuzz: malformed input never stops the server', () => {
  it('answers 150 random class sign-ins with a 4xx or a session, never a 5xx', async () => {
    const classApp = await testApp({ classCode: 'k-2026', rateLimits: { signInsPerMinute: 100 } });
    const r = rng(seed + 3);
    const values = [
      null,
      1,
      Number.MAX_VALUE,
      true,
      [],
      {},
      '',
      ' ',
      'k-2026',
      '%',
      '1234',
      '０１２３',
      '12345678',
      '123456789',
      '\u0000',
      'é'.repeat(500),
      '小李',
      ' 小李 ',
      '<script>',
      '__proto__',
    ];
    const origin = classApp.url.replace(/\/$/, '');
    try {
      for (let i = 0; i < 150; i++) {
        const body: Record<string, unknown> = {};
        for (const k of ['classCode', 'name', 'pin', 'extra'])
          if (r() < 0.8) body[k] = values[Math.floor(r() * values.length)];
        const res = await fetch(new URL('/api/session', classApp.url), {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin },
          body: JSON.stringify(body),
        });
        const what = `sign-in #${i} ${JSON.stringify(body)}`;
        expect([200, 400, 403, 409, 429], what).toContain(res.status);
        const alive = await fetch(new URL('/api/session', classApp.url));
        expect(alive.status, what).toBe(401);
        expect(escaped, what).toEqual([]);
      }
    } finally {
      await classApp.close();
    }
  }, 120_000);

  it.each(crafted.map((c) => [c.name, c] as const))('crafted: %s', async (_name, c) => {
    const out = await c.run(target);
    expect(c.status, `status of ${c.name}`).toContain(out.status);
    if (c.closeCode !== undefined) expect(out.closeCode, `close code of ${c.name}`).toBe(c.closeCode);
    await stillServing(c.name);
  });

  it(`answers ${counts.requests} random malformed requests with no 5xx (seed ${seed})`, async () => {
    const r = rng(seed);
    const sid = target.cookie.slice('dl_sid='.length);
    for (let i = 0; i < counts.requests; i++) {
      const req = randomRequest(r, app.port, sid);
      const out = await rawRequest(app.port, req, { halfClose: true });
      const what = `random request #${i} ${JSON.stringify(req.slice(0, 300))}`;
      expect(out.status >= 500, `${what} answered ${out.status}`).toBe(false);
      await stillServing(what);
    }
  }, 120_000);

  it(`survives ${counts.upgrades} random upgrade requests (seed ${seed})`, async () => {
    const r = rng(seed + 1);
    const sid = target.cookie.slice('dl_sid='.length);
    for (let i = 0; i < counts.upgrades; i++) {
      const req = randomUpgrade(r, app.port, sid);
      const out = await rawSocket(app.port, req, []);
      const what = `random upgrade #${i} ${JSON.stringify(req)}`;
      expect(out.status >= 500, `${what} answered ${out.status}`).toBe(false);
      await stillServing(what);
    }
  }, 120_000);

  it(`survives ${counts.socketsWithFrames} sockets of random frames (seed ${seed})`, async () => {
    const r = rng(seed + 2);
    const request = () =>
      upgradeRequest({
        path: '/ws/terminal?lesson=01-files&host=host1',
        host: `127.0.0.1:${app.port}`,
        cookie: target.cookie,
        origin: `http://127.0.0.1:${app.port}`,
      });
    for (let i = 0; i < counts.socketsWithFrames; i++) {
      const frames = Array.from({ length: 1 + Math.floor(r() * 5) }, () => randomFrame(r));
      const out = await rawSocket(app.port, request(), frames, 3000);
      const what = `random frames #${i} ${frames.map((f) => f.subarray(0, 24).toString('hex')).join(' ')}`;
      expect(out.status, what).toBe(101);
      await stillServing(what);
    }
  }, 240_000);
});
