/** Chromium for the browser tests: Debian's build, never a downloaded one. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { App, AppOptions } from '../../engine/server/app.ts';
import type { Lesson } from '../../engine/lessons/types.ts';

export const chromiumPath = '/usr/bin/chromium';
export const resultsDir = path.resolve('test-results');

export async function launch(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(
      `${chromiumPath} is missing: run \`apt-get install -y chromium\` (scripts/setup.sh does)`,
    );
  }
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** A 1366×768 laptop screen, the smallest the course is designed for. */
export async function laptopPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
  return page;
}

export async function shot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** The text on the active terminal's screen (xterm's buffer, not pixels). */
export function terminalText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const pageEl = document.querySelector('dl-app')?.shadowRoot?.querySelector('dl-lesson-page');
    const panel = pageEl?.shadowRoot?.querySelector('dl-lab-panel');
    const term = panel?.shadowRoot?.querySelector('dl-terminal:not([hidden])') as
      (HTMLElement & { screenText(): string }) | null;
    return term?.screenText() ?? '';
  });
}

/** The step cards' states, from their badges: passed / failed / pending. */
export function stepStates(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const pageEl = document.querySelector('dl-app')?.shadowRoot?.querySelector('dl-lesson-page');
    return Array.from(pageEl?.shadowRoot?.querySelectorAll('dl-step-card') ?? []).map(
      (c: Element) => c.shadowRoot?.querySelector('.badge')?.getAttribute('data-state') ?? 'checking',
    );
  });
}

/** True when the terminal's last line is a shell prompt waiting for input. */
async function atPrompt(page: Page): Promise<boolean> {
  const lines = (await terminalText(page)).split('\n').filter((l) => l.trim() !== '');
  return /[#$]\s*$/.test(lines.at(-1) ?? '');
}

/** Clicks into the terminal, waits for the prompt, and types, the way a learner does. */
export async function typeInTerminal(page: Page, text: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await atPrompt(page)) && Date.now() < deadline) await page.waitForTimeout(100);
  await page.locator('dl-terminal:not([hidden])').click();
  await page.keyboard.type(text, { delay: 5 });
}

/**
 * The real server on a free port with real VM labs and the real checks, for `lessons`, one lab at a
 * time, its progress in a database of its own; `extra` adds options (English twins, say).
 */
export async function realLabApp(lessons: Lesson[], extra: Partial<AppOptions> = {}): Promise<App> {
  const { startApp } = await import('../../engine/server/app.ts');
  const { vmProvider } = await import('../../engine/server/vm-provider.ts');
  const { evaluateConditions } = await import('../../engine/checks/evaluate.ts');
  return startApp({
    lessons,
    provider: vmProvider, // starts labs, and resumes saved ones
    evaluate: evaluateConditions,
    port: 0,
    dbFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dl-browser-')), 'progress.db'),
    distDir: path.resolve('dist'),
    maxLabs: 1,
    ...extra,
  });
}
