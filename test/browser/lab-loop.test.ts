/**
 * The learner's loop of issue 14 in real Chromium on a real lab (QEMU VM, real dockerd, the real
 * checks), with the two small lessons of fixtures/learner: a correct `docker run` whose server takes
 * a few seconds to come up never shows ✗; the next step is not ✗ before it is worked on (and a real
 * mistake still is); 从头做这一步 takes the lab back to the step's start; skip shows the commands it
 * runs and ends 已跳过, told apart from 已完成; the next lesson starts on a clean machine, and what
 * is typed while it is being prepared is run once it is ready. One lab at a time for the file.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../engine/server/app.ts';
import { loadLessons } from '../../engine/lessons/load.ts';
import { laptopPage, launch, stepStates, terminalText, typeInTerminal, realLabApp } from './browser.ts';

/** A VM snapshot exists to start labs from (the sandbox build leaves READY files behind). */
function sandboxBuilt(): boolean {
  const cache = process.env.DOCKERLAB_CACHE ?? '/var/cache/dockerlab';
  if (fs.existsSync(path.join(cache, 'READY'))) return true;
  const snaps = path.join(cache, 'snapshots');
  return (
    fs.existsSync(snaps) && fs.readdirSync(snaps).some((d) => fs.existsSync(path.join(snaps, d, 'READY')))
  );
}

const shots = path.resolve('docs/screenshots');
let app: App;
let browser: Browser;
let page: Page;

const until = (p: () => Promise<boolean>, ms: number, what: string) =>
  expect.poll(p, { timeout: ms, interval: 250, message: what }).toBe(true);
const stepIs = (i: number, state: string, ms = 120_000) =>
  until(async () => (await stepStates(page))[i] === state, ms, `step ${i + 1} ${state}`);
const screenHas = (text: string) => async () => (await terminalText(page)).includes(text);

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

/**
 * Records every badge state each step card shows, every 50 ms, from now on (so a red that lasts
 * a moment is caught); `seen()` returns them as `step:state`.
 */
async function recordBadges(): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __seen: Set<string>; __timer?: number };
    window.clearInterval(w.__timer);
    w.__seen = new Set();
    w.__timer = window.setInterval(() => {
      const root = document.querySelector('dl-app')?.shadowRoot?.querySelector('dl-lesson-page')?.shadowRoot;
      root?.querySelectorAll('dl-step-card').forEach((c, i) => {
        const state = c.shadowRoot?.querySelector('.badge')?.getAttribute('data-state') ?? 'checking';
        w.__seen.add(`${i}:${state}`);
      });
    }, 50);
  });
}
const seen = () => page.evaluate(() => [...(window as unknown as { __seen: Set<string> }).__seen].sort());

/** Puts the keyboard in the terminal without clicking (an overlay may cover it). */
async function focusTerminal(): Promise<void> {
  await page.evaluate(() => {
    const panel = document
      .querySelector('dl-app')
      ?.shadowRoot?.querySelector('dl-lesson-page')
      ?.shadowRoot?.querySelector('dl-lab-panel') as unknown as { focusTerminal(): void } | null;
    panel?.focusTerminal();
  });
}

/** Where the keyboard is, through the shadow roots: the innermost element's tag and its host chain. */
const focusPath = () =>
  page.evaluate(() => {
    const names: string[] = [];
    let el: Element | null = document.activeElement;
    while (el) {
      names.push(
        el.tagName.toLowerCase() +
          (el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''),
      );
      el = el.shadowRoot?.activeElement ?? null;
    }
    return names.join(' > ');
  });

describe.skipIf(!sandboxBuilt())('the learner’s loop on a real lab', () => {
  beforeAll(async () => {
    app = await realLabApp(await loadLessons(path.resolve('test/browser/fixtures/learner')));
    browser = await launch();
    page = await laptopPage(browser);
    fs.mkdirSync(shots, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close(); // stops the lab
  });

  it('a correct docker run never flashes red, though its server is up only seconds later', async () => {
    await page.goto(`${app.url}#/lesson/01-learner`);
    await until(async () => (await page.locator('[data-lab="ready"]').count()) > 0, 300_000, 'lab ready');
    await until(screenHas('root@host1'), 120_000, 'the VM prompt');
    await recordBadges();
    const t0 = Date.now();
    await typeInTerminal(
      page,
      "docker run -d --name web busybox sh -c 'sleep 3; mkdir -p /www; echo hi > /www/index.html; exec httpd -f -p 8080 -h /www'\n",
    );
    await stepIs(0, 'passed');
    process.stdout.write(`docker run → ✓ in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const states = await seen();
    expect(states).not.toContain('0:failed');
    expect(states).not.toContain('1:failed');
  });

  it('says the machine is busy while a command runs for seconds, and not after', async () => {
    await typeInTerminal(page, 'sleep 9\n');
    const status = page.locator('dl-lab-panel .status');
    await until(async () => (await status.getAttribute('data-busy')) !== null, 20_000, 'busy shown');
    expect(await status.textContent()).toContain('实验机器正忙');
    await shot('loop-busy');
    await until(async () => (await status.getAttribute('data-busy')) === null, 30_000, 'busy gone');
    expect(await status.textContent()).toContain('实验机器已就绪');
  });

  it('the next step is never red before it is touched; a real mistake still is', async () => {
    await recordBadges();
    // `true` is typed ahead: it ends while step 2 is checked, and the step after is checked then.
    await typeInTerminal(page, 'echo two > /root/two\ntrue\n');
    await stepIs(1, 'passed');
    await page.waitForTimeout(6000); // a settling re-check would have come by now
    expect(await seen()).not.toContain('2:failed');
    expect((await stepStates(page))[2]).not.toBe('failed');
    await page.locator('dl-step-card').nth(2).scrollIntoViewIfNeeded();
    await shot('loop-next-step-untouched');

    await typeInTerminal(page, 'echo wrong > /root/three\n');
    await stepIs(2, 'failed', 60_000);
    const card = page.locator('dl-step-card').nth(2);
    expect(await card.locator('.result li.bad').count()).toBeGreaterThan(0);
  });

  it('从头做这一步: asks first, then the lab is as it was when the step began', async () => {
    await page.locator('button[data-action="restart-step"]').click();
    const dialog = page.locator('dialog.restart');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    const text = (await dialog.textContent()) ?? '';
    for (const word of ['第 3 步', '撤销', '进度']) expect(text).toContain(word);
    await shot('loop-restart-confirm');
    const t0 = Date.now();
    await page.locator('button[data-action="confirm-restart"]').click();
    // The button says 正在恢复… until the server answers, which is once the lab is back.
    const button = page.locator('button[data-action="restart-step"]');
    await until(
      async () =>
        !(await button.isDisabled()) && ((await button.textContent()) ?? '').includes('从头做这一步'),
      120_000,
      'rewound',
    );
    await until(async () => (await page.locator('[data-lab="ready"]').count()) > 0, 120_000, 'ready again');
    process.stdout.write(`restart step → ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    // The old ✗ lines are gone with the state they judged.
    expect(await page.locator('dl-step-card').nth(2).locator('.result').count()).toBe(0);
    await typeInTerminal(page, 'cat /root/three || echo gone-$((6*7)); tr a-z A-Z < /root/two\n');
    await until(screenHas('gone-42'), 60_000, '/root/three undone');
    await until(screenHas('TWO'), 10_000, '/root/two kept');
    expect((await stepStates(page)).slice(0, 2)).toEqual(['passed', 'passed']);
  });

  it('a reload shows the step the learner is on, not the top of the lesson', async () => {
    await page.setViewportSize({ width: 1366, height: 420 }); // a short window: the step is below the fold
    await page.reload();
    await until(
      async () => (await page.locator('dl-step-card[current]').count()) === 1,
      30_000,
      'page loaded',
    );
    await until(
      async () =>
        page.locator('dl-step-card[current]').evaluate((el) => {
          const r = el.getBoundingClientRect();
          return r.top >= 0 && r.top < window.innerHeight;
        }),
      10_000,
      'the current step in view',
    );
    // …because the lesson scrolled to it (at the top it is below the fold of this short window).
    expect(
      await page.locator('dl-lesson-page section.lesson').evaluate((el) => el.scrollTop),
    ).toBeGreaterThan(0);
    await shot('loop-reload-current-step');
    await page.setViewportSize({ width: 1366, height: 768 });
    await until(async () => (await page.locator('[data-lab="ready"]').count()) > 0, 60_000, 'lab ready');
  });

  it('skip shows the commands it runs for the learner and ends 已跳过, not 已完成', async () => {
    await page.locator('dl-step-card').nth(2).locator('button[data-action="check"]').click();
    await stepIs(2, 'failed', 60_000);
    const button = page.locator('dl-step-card').nth(2).locator('button[data-action="skip"]');
    expect(await button.textContent()).toContain('替我运行参考答案');
    await button.click();
    const run = page.locator('dl-skip-run[data-step="2"]');
    await until(async () => (await run.count()) === 1, 30_000, 'the skip panel');
    expect(await run.locator('pre.script').textContent()).toContain('echo three > /root/three');
    await until(async () => (await run.getAttribute('data-state')) === 'done', 120_000, 'skip done');
    expect(await run.locator('.head').textContent()).toContain('已跳过');
    await stepIs(2, 'skipped', 10_000);
    // The ✗ lines from before the skip are gone; the step is not "done by the learner".
    expect(await page.locator('dl-step-card').nth(2).locator('.result li.bad').count()).toBe(0);
    expect(await stepStates(page)).toEqual(['passed', 'passed', 'skipped']);
    await run.scrollIntoViewIfNeeded();
    await shot('loop-skip-done');
    const summary = await page.evaluate(() =>
      fetch('/api/lessons')
        .then((r) => r.json())
        .then((all: { id: string; passed: number; skipped: number }[]) =>
          all.find((l) => l.id === '01-learner'),
        ),
    );
    expect(summary).toMatchObject({ passed: 3, skipped: 1 });
    const done = page.locator('dl-lesson-page .done');
    expect(await done.textContent()).toContain('其中 1 步是跳过的');
    await until(
      async () => (await done.locator('a[data-next="02-learner-next"]').count()) === 1,
      10_000,
      '下一课',
    );
    await done.scrollIntoViewIfNeeded();
    await shot('loop-lesson-done-next');
  });

  it('the next lesson starts on a clean machine; what is typed while it is prepared waits, then runs', async () => {
    const t0 = Date.now();
    await page.locator('dl-lesson-page .done a[data-next]').click();
    const starting = page.locator('.overlay[data-state="starting"]');
    await until(async () => (await starting.count()) > 0, 60_000, 'preparing');
    expect(await starting.textContent()).toContain('干净的机器');
    await focusTerminal();
    await page.keyboard.type('echo queued > /root/q; echo sent-$((6*7))\n', { delay: 5 });
    await until(
      async () => ((await page.locator('[data-waiting]').textContent()) ?? '').includes('echo queued'),
      10_000,
      'the typed line is shown as waiting',
    );
    // 在终端运行 pressed meanwhile waits behind it.
    await page.locator('dl-step-card').nth(1).locator('button[data-action="run"]').click();
    await until(
      async () => ((await page.locator('[data-waiting]').textContent()) ?? '').includes('mkdir /root/d'),
      10_000,
      'the run click is shown as waiting too',
    );
    await shot('loop-typed-while-preparing');
    await until(async () => (await page.locator('[data-lab="ready"]').count()) > 0, 300_000, 'lab ready');
    process.stdout.write(`lesson switch → ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    await until(screenHas('sent-42'), 60_000, 'the waiting line ran');
    await stepIs(0, 'passed', 60_000);
    await stepIs(1, 'passed', 60_000);
    await typeInTerminal(
      page,
      "docker ps -a --format '[{{.Names}}]' | grep -c '\\[web\\]' || echo no-web-$((1+1))\n",
    );
    await until(screenHas('no-web-2'), 60_000, 'no container of the last lesson');
  });

  it('F6 goes into the terminal and back out', async () => {
    await page.locator('dl-lesson-page h1').click();
    await page.keyboard.press('F6');
    await until(async () => (await focusPath()).includes('dl-terminal'), 5000, 'F6 into the terminal');
    await page.keyboard.press('F6');
    await until(async () => (await focusPath()).includes('section.lesson'), 5000, 'F6 back to the lesson');
  });
});
