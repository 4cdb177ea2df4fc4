/**
 * The smaller items of issue 14 in real Chromium against the real server (a local bash stands in
 * for the VM: none of these needs Docker): English titles and the note on a lesson with no English
 * text, a 64-character name that wraps inside its card, a long code-block comment that scrolls
 * instead of being cut, hints that fold away after a pass, and a skipped step told apart from a
 * done one on the chapter list. Screenshots of each state go to docs/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLessons } from '../../engine/lessons/load.ts';
import type { App } from '../../engine/server/app.ts';
import { testApp } from '../unit/server/harness.ts';
import { laptopPage, launch, stepStates, terminalText, typeInTerminal } from './browser.ts';

const shots = path.resolve('docs/screenshots');
let app: App & { dir: string };
let browser: Browser;
let page: Page;

beforeAll(async () => {
  fs.rmSync('/tmp/dl-loop', { recursive: true, force: true });
  app = await testApp({
    lessons: await loadLessons(path.resolve('test/browser/fixtures/loop')),
    distDir: process.env.DL_DIST ?? path.resolve('dist'),
  });
  browser = await launch();
  page = await laptopPage(browser);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const until = (p: () => Promise<boolean>, ms: number, what: string) =>
  expect.poll(p, { timeout: ms, interval: 200, message: what }).toBe(true);

async function setLang(lang: 'zh' | 'en'): Promise<void> {
  await page.evaluate((l) => localStorage.setItem('dl-lang', l), lang);
  await page.reload();
}

/** How far `inner` reaches past the right edge of `outer` (≤ 0: inside), in CSS pixels. */
async function overhang(inner: Locator, outer: Locator): Promise<number> {
  const a = await inner.boundingBox();
  const b = await outer.boundingBox();
  if (!a || !b) throw new Error('not on the page');
  return a.x + a.width - (b.x + b.width);
}

describe('the learner loop, smaller items', () => {
  it('shows the English title on the chapter list, and says the lesson text is Chinese', async () => {
    await page.goto(app.url);
    await setLang('en');
    await until(
      async () =>
        (await page.locator('dl-lesson-list .title').first().textContent()) ===
        "Practice: the learner's loop",
      10_000,
      'the English title',
    );
    await page.locator('dl-lesson-list a').first().click();
    await until(async () => /local[#$] /.test(await terminalText(page)), 20_000, 'the prompt');
    const note = page.locator('dl-lesson-page .untranslated');
    await expect.poll(() => note.count()).toBe(1);
    expect(await note.textContent()).toContain('no English text yet');
    expect(await page.locator('dl-lesson-page h1').textContent()).toContain("Practice: the learner's loop");
    await page.screenshot({ path: path.join(shots, 'lesson-untranslated-note.png') });
    await setLang('zh');
    await until(
      async () => (await page.locator('dl-lesson-page h1').textContent())?.includes('练习') ?? false,
      10_000,
      'the Chinese title',
    );
    expect(await note.count()).toBe(0);
  });

  it('wraps a long code-block comment inside its block instead of cutting it at the pane edge', async () => {
    const pre = page.locator('dl-step-card').first().locator('.code pre');
    // Read with no scrolling (a hidden or thin scrollbar is easy to miss): the whole comment, down
    // to its last character, is inside the block, and the block inside the lesson pane. (The
    // 64-character command below it is longer than the block: commands keep their lines and scroll.)
    const comment = pre.locator('.hljs-comment');
    // The comment ends on the block's right edge or before, though its line is three times wider.
    const lines = await comment.evaluate((el) => el.getClientRects().length);
    expect(lines, 'the comment takes several lines').toBeGreaterThan(1);
    expect(await comment.textContent()).toMatch(/完$/);
    expect(await overhang(comment, pre)).toBeLessThanOrEqual(0);
    expect(await overhang(pre, page.locator('dl-lesson-page .lesson'))).toBeLessThanOrEqual(0);
    await page.locator('dl-step-card').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'code-comment-wraps.png') });
  });

  it('wraps a 64-character name inside its card, and says one failure once', async () => {
    await page.locator('dl-step-card').first().locator('button[data-action="check"]').click();
    await until(async () => (await stepStates(page))[0] === 'failed', 10_000, 'step 1 fails');
    const items = page.locator('dl-step-card').first().locator('.result li');
    expect(await items.count()).toBe(1);
    expect(await items.first().textContent()).toContain('0123456789abcdef'.repeat(4));
    expect(await overhang(items.first(), page.locator('dl-step-card').first())).toBeLessThanOrEqual(0);
    await page.locator('dl-step-card').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'step-long-name-wraps.png') });
  });

  it('folds the hints away once the step passes', async () => {
    const card = page.locator('dl-step-card').first();
    await card.locator('button[data-action="hint"]').click();
    await expect.poll(() => card.locator('.hint').count()).toBe(1);
    expect(await card.locator('details.done-help').count()).toBe(0);
    await typeInTerminal(
      page,
      'touch /tmp/dl-loop/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n',
    );
    await until(async () => (await stepStates(page))[0] === 'passed', 10_000, 'step 1 passes');
    const folded = card.locator('details.done-help');
    await expect.poll(() => folded.count()).toBe(1);
    expect(await folded.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
    expect(await card.locator('.hint').isVisible()).toBe(false);
    await card.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(shots, 'step-hints-folded.png') });
    await folded.locator('summary').click();
    expect(await card.locator('.hint').isVisible()).toBe(true);
  });

  it('tells a skipped step from a done one on the chapter list', async () => {
    const card = page.locator('dl-step-card').nth(1);
    await card.locator('button[data-action="skip"]').click();
    await until(async () => (await stepStates(page))[1] === 'skipped', 30_000, 'step 2 skipped');
    await page.goto(app.url);
    const meta = page.locator('dl-lesson-list .meta').first();
    await expect.poll(() => meta.textContent()).toContain('跳过了 1 步');
    expect(await meta.textContent()).not.toContain('✓ 已完成');
    expect(await page.locator('dl-lesson-list .skipped').getAttribute('data-skipped')).toBe('1');
    await page.screenshot({ path: path.join(shots, 'chapters-skipped.png') });
  });
});
