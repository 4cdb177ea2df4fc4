/**
 * A big paste in real Chromium: 1.2 MiB pasted into the terminal (a real paste event on xterm's
 * textarea) reaches the shell whole. The page sends it in frames of at most 16 KiB; as one frame it
 * was over the server's 1 MiB limit, and before issue 9 that frame ended the server.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp } from '../unit/server/harness.ts';
import type { App } from '../../engine/server/app.ts';
import { laptopPage, launch, terminalText, typeInTerminal } from './browser.ts';

let app: App & { dir: string };
let browser: Browser;
let page: Page;
const distDir = path.resolve(process.env.DL_DIST ?? 'dist');

beforeAll(async () => {
  process.env.DL_TEST_DIR = '/tmp/dl-test';
  app = await testApp({ distDir });
  browser = await launch();
  page = await laptopPage(browser);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('pasting into the terminal', () => {
  it('takes a 1.2 MiB paste whole', async () => {
    await page.goto(`${app.url}#/lesson/01-files`);
    const file = path.join(app.dir, 'pasted.txt');
    await typeInTerminal(
      page,
      `stty -echo; echo cat-is-$((6*7)); cat > ${file}; stty echo; wc -c < ${file}\n`,
    );
    await expect
      .poll(async () => (await terminalText(page)).includes('cat-is-42'), { timeout: 20_000 })
      .toBe(true);
    const line = `${'a'.repeat(60)}汉字😀\n`; // 71 bytes
    const count = 18_000;
    await page.evaluate(
      ({ line, count }) => {
        const pageEl = document.querySelector('dl-app')?.shadowRoot?.querySelector('dl-lesson-page');
        const panel = pageEl?.shadowRoot?.querySelector('dl-lab-panel');
        const term = panel?.shadowRoot?.querySelector('dl-terminal:not([hidden])');
        const textarea = term?.shadowRoot?.querySelector('textarea') ?? term?.querySelector('textarea');
        if (!textarea) throw new Error('no terminal textarea');
        const data = new DataTransfer();
        data.setData('text/plain', line.repeat(count));
        textarea.dispatchEvent(
          new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
        );
      },
      { line, count },
    );
    await page.keyboard.press('Control+D');
    const size = String(Buffer.byteLength(line) * count);
    await expect.poll(async () => (await terminalText(page)).includes(size), { timeout: 60_000 }).toBe(true);
    expect(size).toBe('1278000');
    expect(fs.readFileSync(file, 'utf8')).toBe(line.repeat(count));
  });
});
