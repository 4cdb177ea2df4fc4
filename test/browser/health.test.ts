/**
 * The lab's health as the learner sees it, in real Chromium against the real server, with local
 * labs that can be made to fail (test/unit/server/faulty.ts): the "重置实验机器" button and its
 * confirm, the notice when a lab fails and a new one is made, and the app page's CSP. lab.test.ts
 * does the failure with a real VM powered off.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../unit/server/harness.ts';
import { faultyProvider } from '../unit/server/faulty.ts';
import type { App } from '../../engine/server/app.ts';
import { loadLessons } from '../../engine/lessons/load.ts';
import { laptopPage, launch, shot, stepStates, terminalText, typeInTerminal } from './browser.ts';

let app: App & { dir: string };
let browser: Browser;
let page: Page;
// Lab 0 and the reset's lab 1 start at once; the replacement of a failed lab takes 2 s, as a
// (fast) VM would, so the page's notice while it is made can be seen.
const faulty = faultyProvider(undefined, (i) => (i >= 2 ? 2000 : 0));
const cspErrors: string[] = [];

beforeAll(async () => {
  process.env.DL_TEST_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-health-'));
  const lessons = await loadLessons(path.resolve('test/unit/server/fixtures/workspace'));
  app = await testApp({ distDir: path.resolve('dist'), lessons, provider: faulty.provider });
  browser = await launch();
  page = await laptopPage(browser);
  page.on('console', (m) => {
    if (/Content[- ]Security[- ]Policy/i.test(m.text())) cspErrors.push(m.text());
  });
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const until = (p: () => Promise<boolean>, ms: number, what: string) =>
  expect.poll(p, { timeout: ms, interval: 100, message: what }).toBe(true);
const screenHas = (text: string) => async () => (await terminalText(page)).includes(text);

describe('lab health in the page', () => {
  it('serves the lesson page with a CSP, and the app runs under it', async () => {
    const res = await page.goto(`${app.url}#/lesson/01-replay`);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toMatch(/script-src 'self' 'sha256-[\w+/=]+'/);
    expect(csp).toContain(`connect-src 'self' ws://localhost:${app.port}`);
    await until(async () => /local[#$] /.test(await terminalText(page)), 20_000, 'the prompt');
    // The inline theme script ran (its hash is allowed), and nothing was refused.
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toMatch(/^(light|dark)$/);
    expect(cspErrors).toEqual([]);
  });

  it('resets the lab from its button, after a confirm that says what is lost and what is kept', async () => {
    const skipped = await page.evaluate(() =>
      fetch('/api/lessons/01-replay/steps/0/skip', { method: 'POST' }).then((r) => r.status),
    );
    expect(skipped).toBe(200);
    await until(async () => (await stepStates(page))[0] === 'skipped', 10_000, 'step 1 skipped');
    await typeInTerminal(page, 'export MARK=old; echo set-$MARK\n');
    await until(screenHas('set-old'), 10_000, 'the echo');

    await page.locator('button[data-action="reset-lab"]').click();
    const dialog = page.locator('dialog.reset');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    const text = (await dialog.textContent()) ?? '';
    for (const word of ['容器', '文件', '进度', '重新执行']) expect(text).toContain(word);
    await shot(page, 'health-reset-confirm');
    // Cancel first: nothing happens.
    await dialog.getByRole('button', { name: '取消' }).click();
    expect(faulty.labs).toHaveLength(1);

    await page.locator('button[data-action="reset-lab"]').click();
    await dialog.locator('button[data-action="confirm-reset"]').click();
    const banner = page.locator('.banner[data-state="notice"]');
    await expect
      .poll(() => banner.textContent(), { timeout: 20_000 })
      .toContain('按你的要求换了一台新的实验机器');
    expect(faulty.labs).toHaveLength(2);
    expect(faulty.labs[0]!.down).toBe(true);
    expect(faulty.labs[0]!.suspended).toBe(0);
    expect((await stepStates(page))[0]).toBe('skipped');
    await shot(page, 'health-reset-done');
    await banner.getByRole('button').click();
    await expect.poll(() => banner.count()).toBe(0);
    await typeInTerminal(page, 'echo "new-[$MARK]"; test -e "$DL_TEST_DIR/a" && echo replayed-$((2*4))\n');
    await until(screenHas('replayed-8'), 10_000, 'a new shell, the step redone');
    expect(await terminalText(page)).toContain('new-[]');
  });

  it('tells the learner when the lab fails, and brings a new one with the steps redone', async () => {
    await typeInTerminal(page, 'rm "$DL_TEST_DIR/a" && echo gone-$((1+1))\n');
    await until(screenHas('gone-2'), 10_000, 'the file removed');
    faulty.labs[1]!.fire({ host: 'host1', cause: 'poweroff', detail: 'test: poweroff in the guest' });
    const making = page.locator('.overlay[data-state="starting"] .notice');
    await expect
      .poll(() => making.textContent(), { timeout: 10_000 })
      .toContain('你的实验机器关机了。正在为你准备一台新的，已完成的步骤会重新执行。');
    await shot(page, 'health-failed-replacing');
    const banner = page.locator('.banner[data-state="notice"]');
    await expect.poll(() => banner.textContent(), { timeout: 20_000 }).toContain('已为你换了一台新的');
    expect(faulty.labs).toHaveLength(3);
    expect(faulty.labs[1]!.suspended).toBe(0);
    expect((await stepStates(page))[0]).toBe('skipped');
    await shot(page, 'health-failed-replaced');
    await typeInTerminal(page, 'test -e "$DL_TEST_DIR/a" && echo replayed-$((3*3))\n');
    await until(screenHas('replayed-9'), 10_000, 'the step redone on the new lab');
    expect(cspErrors).toEqual([]);
  });
});
