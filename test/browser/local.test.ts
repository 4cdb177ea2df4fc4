/**
 * The web app in real Chromium against the real server, with a local bash standing in for the VM
 * (so it runs on any machine in seconds) and the fixture lessons of test/unit/server. lab.test.ts
 * does the same against a real lab and lesson 15.
 */
import fs from 'node:fs';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../unit/server/harness.ts';
import type { App } from '../../engine/server/app.ts';
import { laptopPage, launch, shot, stepStates, terminalText, typeInTerminal } from './browser.ts';

let app: App & { dir: string };
let browser: Browser;
let page: Page;
const distDir = path.resolve('dist');

beforeAll(async () => {
  process.env.DL_TEST_DIR = '/tmp/dl-test';
  app = await testApp({ distDir, maxLabs: 4 });
  browser = await launch();
  page = await laptopPage(browser);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const until = (p: () => Promise<boolean>, ms: number, what: string) =>
  expect.poll(p, { timeout: ms, interval: 200, message: what }).toBe(true);
const screenHas = (text: string) => async () => (await terminalText(page)).includes(text);

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('web app with a local shell', () => {
  it('lists the chapters in Chinese', async () => {
    await page.goto(app.url);
    await expect.poll(() => page.locator('dl-lesson-list a').count()).toBe(2);
    expect(await page.locator('dl-lesson-list h1').textContent()).toBe('课程目录');
    await shot(page, 'local-list');
  });

  it('turns a step ✓ by itself after the command, and shows what is wrong before', async () => {
    await page.locator('dl-lesson-list a').first().click();
    await until(async () => /local[#$] /.test(await terminalText(page)), 20_000, 'the prompt');
    await typeInTerminal(page, 'ls /tmp/dl-test\n');
    await until(async () => (await stepStates(page))[0] === 'failed', 10_000, 'step 1 fails');
    const wrong = await page.locator('dl-step-card').first().locator('.result li').first().textContent();
    expect(wrong).toContain('还没有 /tmp/dl-test/a');
    await typeInTerminal(page, 'touch /tmp/dl-test/a\n');
    await until(async () => (await stepStates(page))[0] === 'passed', 10_000, 'step 1 passes');
    expect(await page.locator('dl-step-card[current]').getAttribute('data-step')).toBe('1');
    await shot(page, 'local-lesson-passed');
  });

  it('keeps progress and the terminal screen across a reload', async () => {
    await typeInTerminal(page, 'echo before-$((40+2))\n');
    await until(async () => (await terminalText(page)).includes('before-42'), 10_000, 'the echo');
    await page.reload();
    await until(async () => (await stepStates(page))[0] === 'passed', 10_000, 'step 1 still passed');
    await until(async () => (await terminalText(page)).includes('before-42'), 10_000, 'the restored screen');
  });

  it('runs a code block in the terminal, opens hints one by one, shows the solution', async () => {
    const card = page.locator('dl-step-card').nth(1);
    await card.locator('button[data-action="hint"]').click();
    await expect.poll(() => card.locator('.hint').count()).toBe(1);
    await expect.poll(() => card.locator('button[data-action="hint"]').count()).toBe(0);
    await card.locator('button[data-action="solution"]').click();
    await expect
      .poll(() => card.locator('.solution code').first().textContent())
      .toContain('touch /tmp/dl-test/b');
    await card.locator('.code button[data-action="run"]').first().click();
    await until(async () => (await stepStates(page))[1] === 'passed', 10_000, 'step 2 passes');
    await until(async () => (await page.locator('dl-lesson-page .done').count()) === 1, 5000, 'lesson done');
    await shot(page, 'local-lesson-done');
  });

  it('keeps up with `yes` through acks, and Ctrl-C gets the prompt back', async () => {
    await typeInTerminal(page, 'clear; yes\n');
    await page.waitForTimeout(1500);
    await page.keyboard.press('Control+C');
    // Without working acks the server would stay paused and the prompt would never arrive.
    await until(
      async () => /\^C\s*\n\s*local[#$]/.test(await terminalText(page)),
      5000,
      'the prompt after Ctrl-C',
    );
    await typeInTerminal(page, 'clear\n');
  });

  it('opens a new shell after `exit`', async () => {
    await typeInTerminal(page, 'exit\n');
    await until(async () => (await terminalText(page)).includes('shell 已退出'), 5000, 'the exit notice');
    // The new shell's screen replaces the old one (it starts with a reset).
    await until(async () => !(await terminalText(page)).includes('shell 已退出'), 10_000, 'the new shell');
    await typeInTerminal(page, 'echo new-$((1+2))\n');
    await until(async () => (await terminalText(page)).includes('new-3'), 10_000, 'the new shell answers');
  });

  it('switches to English and to the dark theme', async () => {
    await page.getByRole('button', { name: 'Language / 语言' }).click();
    await expect
      .poll(() => page.locator('dl-step-card').first().locator('.badge').textContent())
      .toContain('Passed');
    await page.locator('dl-app header button').nth(1).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await shot(page, 'local-lesson-en-dark');
    await page.getByRole('button', { name: 'Language / 语言' }).click();
    await page.locator('dl-app header button').nth(1).click();
  });

  it('refuses a terminal socket opened from a foreign page', async () => {
    // A page on another origin (another port) tries to open this learner's terminal.
    const other = http.createServer((_req, res) => res.end('<!doctype html><title>other</title>'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', () => r()));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
    try {
      const token = await page.evaluate(() =>
        fetch('/api/session')
          .then((r) => r.json())
          .then((s: { learnerId: string }) => s.learnerId),
      );
      const foreign = await browser.newPage();
      await foreign.goto(otherUrl);
      const outcome = await foreign.evaluate(
        ([port, t]) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(
              `ws://localhost:${port}/ws/terminal?lesson=01-files&host=host1&learner=${t}`,
            );
            ws.onopen = () => resolve('open');
            ws.onclose = (e) => resolve(`closed ${e.code}`);
          }),
        [app.port, token] as const,
      );
      expect(outcome).toBe('closed 1006');
      // The browser hides the status; the same request from Node shows it is a 403.
      const status = await new Promise<number>((resolve) => {
        const req = http.get({
          port: app.port,
          path: `/ws/terminal?lesson=01-files&learner=${token}`,
          headers: {
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
            origin: otherUrl.slice(0, -1),
          },
        });
        req.on('response', (res) => resolve(res.statusCode ?? 0));
      });
      expect(status).toBe(403);
      await foreign.close();
    } finally {
      other.close();
    }
  });

  it('previews a web server started in the terminal, to this learner only', async () => {
    const port = await freePort();
    const marker = `preview-marker-${port}`;
    const site = path.join(app.dir, 'site');
    fs.mkdirSync(site);
    fs.writeFileSync(path.join(site, 'index.html'), `<h1>${marker}</h1>`);
    // `timeout` ends the server even if this test fails before its `kill`.
    await typeInTerminal(
      page,
      `timeout 120 python3 -m http.server -d ${site} -b 127.0.0.1 ${port} &>/dev/null &\n`,
    );
    // The preview's address holds this learner's key; the page has it from the lab's ready status.
    const prefix = await page.evaluate(() => {
      const el = document.querySelector('dl-app')?.shadowRoot?.querySelector('dl-lesson-page');
      const lab = (el as unknown as { lab: { state: string; preview?: string } }).lab;
      return lab.state === 'ready' ? lab.preview! : '';
    });
    expect(prefix).toMatch(/^\/preview\/[\w-]{22}\/$/);
    const url = `${prefix}host1/${port}/`;
    const status = () => page.evaluate((u) => fetch(u).then((r) => r.status), url);
    await expect.poll(status, { timeout: 10_000, message: 'the server listens' }).toBe(200);

    await page.locator('dl-lesson-page input[name="port"]').fill(String(port));
    const [preview] = await Promise.all([
      page.context().waitForEvent('page'),
      page.getByRole('button', { name: '打开', exact: true }).click(),
    ]);
    await preview.waitForLoadState();
    expect(new URL(preview.url()).pathname).toBe(url);
    expect(await preview.locator('h1').textContent()).toBe(marker);
    await shot(preview, 'local-preview');
    await preview.close();

    // Another browser (another learner, or none) without the key finds no preview; the key is the
    // credential, and only this learner's page was given it.
    const stranger = await browser.newContext();
    try {
      const other = await stranger.newPage();
      await stranger.request.get(`${app.url}api/session`);
      const guessed = await other.goto(`${app.url}preview/${'A'.repeat(22)}/host1/${port}/`);
      expect(guessed?.status()).toBe(404);
      expect(await guessed?.text()).not.toContain(marker);
    } finally {
      await stranger.close();
    }
    await typeInTerminal(page, 'kill %%\n');
  });

  it('lets a preview page post its own form (it has an opaque origin), and nothing else post into the app', async () => {
    // A web app in the "VM" (this machine, for a local lab): a form, and a page that shows the post.
    const site = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          req.method === 'POST'
            ? `<h1 id="got">posted ${body}</h1>`
            : '<form method="post" action="sent"><input name="name" value="xiaoli"><button>send</button></form>',
        );
      });
    });
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (site.address() as AddressInfo).port;
      const prefix = await page.evaluate(() => {
        const el = document.querySelector('dl-app')?.shadowRoot?.querySelector('dl-lesson-page');
        return (el as unknown as { lab: { preview?: string } }).lab.preview ?? '';
      });
      const [preview] = await Promise.all([
        page.context().waitForEvent('page'),
        page.evaluate((u) => void window.open(u, '_blank', 'noopener'), `${prefix}host1/${port}/`),
      ]);
      await preview.waitForLoadState();
      // The page runs sandboxed: its origin is opaque, as the app's scripts could otherwise be used.
      expect(await preview.evaluate(() => window.origin)).toBe('null');
      await Promise.all([preview.waitForNavigation(), preview.getByRole('button', { name: 'send' }).click()]);
      expect(await preview.locator('#got').textContent()).toBe('posted name=xiaoli');
      // The same page cannot post into the app: its Origin is null there, which the app refuses.
      const intoApp = await preview.evaluate(
        (u) =>
          fetch(u, { method: 'POST' })
            .then((r) => r.status)
            .catch(() => -1),
        `${app.url}api/lessons/01-files/check`,
      );
      expect([403, -1]).toContain(intoApp);
      await preview.close();
    } finally {
      site.close();
    }
  });

  it('gives each host of a two-host lesson its own tab and shell, each keeping its screen', async () => {
    // Only the hash changes: the app must swap the lesson page, old terminals and all, by itself.
    await page.goto(`${app.url}#/lesson/02-two-hosts`);
    const tabs = page.getByRole('tab');
    await expect
      .poll(async () => (await tabs.allInnerTexts()).map((s) => s.trim()))
      .toEqual(['host1', 'host2']);
    await typeInTerminal(page, 'echo "on $HOSTNAME"\n');
    await until(screenHas('on host1'), 20_000, 'host1 answers');

    await tabs.nth(1).click();
    expect(await tabs.nth(1).getAttribute('aria-selected')).toBe('true');
    await typeInTerminal(page, 'echo "on $HOSTNAME"; touch /tmp/dl-test/two\n');
    await until(screenHas('on host2'), 20_000, 'host2 answers');
    expect(await terminalText(page)).not.toContain('on host1');
    await until(async () => (await stepStates(page))[0] === 'passed', 10_000, 'the host2 step passes');
    await shot(page, 'local-two-hosts');

    // By keyboard: an arrow key moves between the tabs, Enter puts the cursor in that host's shell.
    await tabs.nth(1).focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => tabs.nth(0).getAttribute('aria-selected')).toBe('true');
    await until(screenHas('on host1'), 5000, 'host1 screen again');
    await page.keyboard.press('Enter');
    expect(await terminalText(page)).not.toContain('on host2');
    await page.keyboard.type('echo "still on $HOSTNAME"\n');
    await until(screenHas('still on host1'), 10_000, 'typing goes to host1');
  });

  it('keeps progress across a server restart, and replays the passed step in the new lab', async () => {
    // Undo what the step made: only the replay of its solution can bring it back.
    await typeInTerminal(page, 'rm /tmp/dl-test/two && echo removed-$((1+1))\n');
    await until(screenHas('removed-2'), 10_000, 'the file removed');
    const { port, dir } = app;
    await app.close();
    // Same port and database: the open page reconnects by itself, with the same cookie and token.
    app = await testApp({ distDir, maxLabs: 4, port, dbFile: path.join(dir, 'progress.db') });
    // The new server's shell starts with a reset, which wipes the old screen.
    await until(async () => !(await screenHas('removed-2')()), 30_000, 'the new shell');
    await typeInTerminal(page, 'test -e /tmp/dl-test/two && echo "replayed on $HOSTNAME"\n');
    await until(screenHas('replayed on host1'), 10_000, 'the solution replayed');

    await page.reload();
    await until(async () => (await stepStates(page))[0] === 'passed', 10_000, 'step still passed');
    await page.goto(app.url);
    const done = page.locator('dl-lesson-list a .done');
    await expect.poll(() => done.count()).toBe(2);
    await shot(page, 'local-list-after-restart');
  });

  it('asks for a reload, instead of retrying forever, when the server has forgotten the learner', async () => {
    await page.goto(`${app.url}#/lesson/02-two-hosts`);
    await until(async () => /local[#$] /.test(await terminalText(page)), 20_000, 'the prompt');
    const { port } = app;
    await app.close();
    app = await testApp({ distDir, maxLabs: 4, port }); // a new, empty database
    const notice = page.locator('.overlay[data-state="expired"]');
    await expect.poll(() => notice.count(), { timeout: 30_000 }).toBe(1);
    await shot(page, 'local-expired');
    await notice.getByRole('button', { name: '刷新页面' }).click();
    await until(async () => /local[#$] /.test(await terminalText(page)), 20_000, 'a prompt as a new learner');
    expect(await stepStates(page)).toEqual(['pending']);
  });
});
