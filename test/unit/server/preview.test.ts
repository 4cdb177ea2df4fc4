/**
 * The port preview end to end: a web server on this machine stands in for one in the learner's VM
 * (a local lab's curl reaches it). The key in the preview URL is the credential; the app's own
 * routes keep their strict origin rule.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, TermClient, testApp } from './harness.ts';
import type { App } from '../../../engine/server/app.ts';
import type { LabStatus } from '../../../engine/protocol.ts';

let app: App & { dir: string };
let web: http.Server;
let port: number;

beforeAll(async () => {
  process.env.DL_TEST_DIR = '/tmp/dl-test-preview';
  app = await testApp({ maxLabs: 4 });
  web = http.createServer((req, res) => {
    if (req.url === '/old') return void res.writeHead(302, { location: '/new' }).end();
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () =>
      res
        .writeHead(200, {
          'content-type': 'text/plain',
          'set-cookie': 'dl_sid=stolen; Path=/',
          'access-control-allow-origin': '*',
          'content-security-policy': 'default-src *',
          refresh: '0; url=http://evil.example/',
          'x-powered-by': 'flask',
          etag: '"v1"',
        })
        .end(`${req.method} ${req.url} ${body}`),
    );
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
  port = (web.address() as AddressInfo).port;
});
afterAll(async () => {
  web?.close();
  await app?.close();
});

/** Opens the learner's terminal and returns the `ready` status, which carries the preview prefix. */
async function readyLab(
  c: Client,
): Promise<{ t: TermClient; ready: Extract<LabStatus, { state: 'ready' }> }> {
  const t = TermClient.open(app, c, (await c.session()).learnerId, { lesson: '01-files' });
  let ready: LabStatus | undefined;
  await t.until(
    () =>
      (ready = t.events
        .flatMap((e) => (e.type === 'lab' ? [e.status] : []))
        .find((s) => s.state === 'ready')) !== undefined,
    10_000,
    'ready',
  );
  return { t, ready: ready as Extract<LabStatus, { state: 'ready' }> };
}

const send = (p: string, init: RequestInit = {}) =>
  fetch(new URL(p, app.url), { redirect: 'manual', ...init });

describe('port preview', () => {
  it('answers under the learner’s key, with no cookie, and nowhere else', async () => {
    const { t, ready } = await readyLab(new Client(app.url));
    expect(ready.preview).toMatch(/^\/preview\/[\w-]{22}\/$/);
    const ok = await send(`${ready.preview}host1/${port}/x?y=1`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('GET /x?y=1 ');
    // A guessed key, the old keyless form, and a host the lab does not have: no preview.
    expect((await send(`/preview/${'A'.repeat(22)}/host1/${port}/x`)).status).toBe(404);
    expect((await send(`/preview/host1/${port}/x`)).status).toBe(404);
    expect((await send(`${ready.preview}host2/${port}/`)).status).toBe(404);
    // A redirect inside the VM stays inside the preview.
    const moved = await send(`${ready.preview}host1/${port}/old`);
    expect(moved.headers.get('location')).toBe(`${ready.preview}host1/${port}/new`);
    t.ws.close();
  });

  it('passes only allow-listed headers, and adds its own sandbox and referrer rules', async () => {
    const { t, ready } = await readyLab(new Client(app.url));
    const r = await send(`${ready.preview}host1/${port}/h`);
    expect(r.headers.get('etag')).toBe('"v1"');
    expect(r.headers.get('content-type')).toBe('text/plain');
    for (const h of ['set-cookie', 'access-control-allow-origin', 'refresh', 'x-powered-by'])
      expect(r.headers.get(h), h).toBeNull();
    expect(r.headers.get('content-security-policy')).toBe('sandbox allow-scripts allow-forms allow-popups');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    t.ws.close();
  });

  it('lets the preview page’s own form POST through (Origin: null), but no other site, and not into the app', async () => {
    const c = new Client(app.url);
    const { t, ready } = await readyLab(c);
    const url = `${ready.preview}host1/${port}/form`;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const own = await send(url, { method: 'POST', headers: { ...form, origin: 'null' }, body: 'name=ok' });
    expect(own.status).toBe(200);
    expect(await own.text()).toBe('POST /form name=ok');
    const foreign = await send(url, {
      method: 'POST',
      headers: { ...form, origin: 'http://evil.example' },
      body: 'x=1',
    });
    expect(foreign.status).toBe(403);
    // The app's routes still refuse an opaque origin, cookie or not.
    const intoApp = await send('/api/lessons/01-files/steps/0/hint', {
      method: 'POST',
      headers: { origin: 'null', cookie: c.cookie },
    });
    expect(intoApp.status).toBe(403);
    t.ws.close();
  });

  it('says the lab is not running once it is stopped', async () => {
    const c = new Client(app.url);
    const { t, ready } = await readyLab(c);
    await app.workspaces.get((await c.session()).learnerId).stop(null);
    expect((await send(`${ready.preview}host1/${port}/`)).status).toBe(409);
    t.ws.close();
  });
});
