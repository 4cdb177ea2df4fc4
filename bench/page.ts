/**
 * Page open → ready prompt, as a new learner sees it in Chromium, with the server's warm pool
 * (vm-provider.ts, one ready lab): the real server, a real VM lab from the pool, lesson 15 (its
 * setup runs on the lab first), the real web app (dist/, `npm run build:web`). Timed from
 * `page.goto` of the lesson's address until the terminal shows the VM's prompt.
 * `bench(lab, say)` is what bench/cli.ts calls; the bench's own lab is not used (the pool starts one).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Lab } from '../engine/sandbox/api.ts';
import { loadLesson, lessonFiles } from '../engine/lessons/load.ts';
import { laptopPage, launch, terminalText } from '../test/browser/browser.ts';
import type { Figures } from './figures.ts';
import { ms } from './stats.ts';

export async function bench(_lab: Lab, say: (line: string) => void): Promise<Figures> {
  if (!fs.existsSync('dist/index.html')) throw new Error('the web app is not built: npm run build:web');
  const { startApp } = await import('../engine/server/app.ts');
  const { vmProviderWithPool } = await import('../engine/server/vm-provider.ts');
  const { evaluateConditions } = await import('../engine/checks/evaluate.ts');
  const files = (await lessonFiles('lessons')).filter(
    (f) => path.basename(f).startsWith('15-') && !f.endsWith('.en.md'),
  );
  const lessons = await Promise.all(files.map(loadLesson));
  if (lessons.length !== 1) throw new Error(`expected lesson 15, found ${files.join(', ') || 'none'}`);
  const provider = await vmProviderWithPool(1);
  const app = await startApp({
    lessons,
    provider,
    evaluate: evaluateConditions,
    port: 0,
    dbFile: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dl-bench-page-')), 'progress.db'),
    distDir: path.resolve('dist'),
    maxLabs: 1,
  });
  const browser = await launch();
  try {
    const t0 = performance.now();
    while (provider.pool.size < 1) {
      if (performance.now() - t0 > 300_000) throw new Error('the warm pool had no lab ready in 5 min');
      await new Promise((r) => setTimeout(r, 200));
    }
    const page = await laptopPage(browser);
    const start = performance.now();
    await page.goto(`${app.url}#/lesson/${lessons[0]!.id}`);
    while (!(await terminalText(page)).includes('root@host1')) {
      if (performance.now() - start > 120_000) throw new Error('no VM prompt in the page within 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const readyMs = performance.now() - start;
    say(
      `网页打开到可用提示符 / page open → ready prompt (Chromium, lesson 15, warm pool of 1): ${ms(readyMs)}`,
    );
    return { warmPageReadyMs: readyMs };
  } finally {
    await browser.close();
    await app.close();
    await provider.pool.close();
  }
}
