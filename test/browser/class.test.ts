/**
 * Class mode in real Chromium against the real server (local shells, fixture lessons): the page
 * opens on the sign-in, the first sign-in sets the PIN, the same name and PIN work from another
 * browser, and a classmate typing that name with another PIN is refused.
 */
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../unit/server/harness.ts';
import type { App } from '../../engine/server/app.ts';
import { launch, shot } from './browser.ts';

let app: App & { dir: string };
let browser: Browser;
const distDir = path.resolve(process.env.DL_DIST ?? 'dist');

beforeAll(async () => {
  process.env.DL_TEST_DIR = '/tmp/dl-test';
  app = await testApp({ distDir, classCode: 'docker-2026' });
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** A browser of its own (its own cookies), as another computer in the classroom. */
async function computer(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
  await page.goto(app.url);
  return page;
}

async function signIn(page: Page, name: string, pin: string): Promise<void> {
  const form = page.locator('dl-class-sign-in form');
  await form.getByLabel('班级代码').fill('docker-2026');
  await form.getByLabel('名字').fill(name);
  await form.getByLabel(/^PIN/).fill(pin);
  await form.getByRole('button', { name: '登录' }).click();
}

describe('class sign-in with a PIN', () => {
  it('opens on the sign-in, and the first sign-in sets the PIN', async () => {
    const page = await computer();
    const card = page.locator('dl-class-sign-in');
    await expect.poll(() => card.locator('h1').textContent()).toBe('登录课堂');
    expect(await card.locator('.note').textContent()).toContain('PIN 由你自己设');
    expect(await page.locator('dl-lesson-list').count()).toBe(0);
    await shot(page, 'class-sign-in');
    await signIn(page, '小李', '2468');
    await expect.poll(() => page.locator('dl-lesson-list a').count()).toBe(2);
    const greeting = await page
      .locator('dl-lesson-list dl-class-sign-in')
      .evaluate((el) => el.shadowRoot?.textContent ?? '');
    expect(greeting).toContain('你好，小李。');
  });

  it('refuses a classmate who types that name with another PIN, and lets the learner in elsewhere', async () => {
    const page = await computer();
    await signIn(page, '小李', '1357');
    const alert = page.locator('dl-class-sign-in [role=alert]');
    await expect.poll(() => alert.textContent()).toContain('PIN 不对');
    expect(await page.locator('dl-lesson-list').count()).toBe(0);
    await shot(page, 'class-sign-in-refused');
    await signIn(page, '小李', '2468');
    await expect.poll(() => page.locator('dl-lesson-list a').count()).toBe(2);
  });
});
