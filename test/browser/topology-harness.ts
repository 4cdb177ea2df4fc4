// Functions handed to page.evaluate run in Chromium: their DOM names need the DOM lib. WARNING:
// a lib reference holds for the whole tsconfig.engine.json program, as @xterm/xterm's typings did
// until 20fbc40 moved the server's screens to a worker; a tsconfig of its own for test/browser and
// bench would keep engine/ DOM-free (the lead's call).
/// <reference lib="dom" />
/**
 * <dl-topology> alone in real Chromium, served by Vite's dev server, its API answered from states
 * recorded in a real sandbox (test/fixtures/states). Used by topology.test.ts and `npm run bench`.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { labGraph } from '../../engine/topology/graph.ts';
import { diffStates } from '../../engine/topology/diff.ts';
import type { HistoryEntry, TopologyView } from '../../engine/topology/types.ts';
import type { ServerEvent } from '../../engine/protocol.ts';
import { recorded } from '../unit/topology/states.ts';

const root = path.resolve(import.meta.dirname, '../..');

export async function devServer(): Promise<{ vite: ViteDevServer; url: string }> {
  // Not vite.config.ts: its dev proxy sends every path that starts with /api to :8080, web/api.ts too.
  const vite = await createServer({
    configFile: false,
    root: path.join(root, 'web'),
    logLevel: 'error',
    // No file watching, no HMR: other work on web/ must not reload the page under a test.
    server: { port: 0, host: '127.0.0.1', hmr: false, watch: null },
    // Pre-bundled up front, so Vite does not reload the page when it meets them mid-test.
    optimizeDeps: { include: ['lit', 'elkjs/lib/elk.bundled.js'] },
  });
  await vite.listen();
  const url = vite.resolvedUrls?.local[0];
  if (!url) throw new Error('vite dev server has no local URL');
  return { vite, url };
}

/** The server's answer after each of `states` in turn: the graph now and the history so far. */
export function views(states: string[], lessonId = '15-netns-veth'): TopologyView[] {
  const history: HistoryEntry[] = [];
  return states.map((s, i) => {
    const now = recorded(s);
    if (i) {
      const changes = diffStates('host1', recorded(states[i - 1]!), now);
      if (changes.length)
        history.push({ seq: history.length + 1, step: i, takenAt: '', commands: [], changes });
    }
    return { lessonId, takenAt: `${i}`, graph: labGraph({ host1: now }), history: [...history] };
  });
}

/** Opens a page with one <dl-topology> filling the 1366×768 screen, answering its API with `answer()`. */
export async function mountPanel(
  page: Page,
  url: string,
  answer: () => TopologyView,
  attrs: Record<string, string> = { active: '' },
): Promise<void> {
  await page.route(/\/api\/lessons\/[^/]+\/topology(\?|$)/, (r) =>
    r.fulfill({ contentType: 'application/json', body: JSON.stringify(answer()) }),
  );
  // Any same-origin page that is not the app (with HMR off, unknown paths fall back to index.html,
  // which would start <dl-app>): the stylesheet, shown as text.
  await page.goto(`${url}styles.css`);
  // A module script, not page.evaluate: vitest rewrites `import()` inside functions it ships.
  await page.evaluate(() => {
    document.body.innerHTML = '';
    document.body.style.cssText = 'margin:0;background:#0d1117';
  });
  await page.addScriptTag({
    type: 'module',
    content: `import '/dl-topology.ts';
      const el = document.createElement('dl-topology');
      el.setAttribute('lesson-id', '15-netns-veth');
      for (const [k, v] of Object.entries(${JSON.stringify(attrs)})) el.setAttribute(k, v);
      if (!el.hasAttribute('compact')) el.style.cssText = 'position:fixed;inset:0;';
      document.body.appendChild(el);`,
  });
  await page.waitForFunction(() => !!document.querySelector('dl-topology')?.shadowRoot);
}

/** Calls an export of a web module in the page (e.g. i18n's setLang). */
export async function callWeb(page: Page, file: string, fn: string, ...args: unknown[]): Promise<void> {
  await page.addScriptTag({
    type: 'module',
    content: `import { ${fn} } from '/${file}'; ${fn}(...${JSON.stringify(args)});`,
  });
}

/**
 * Tells the panel a command finished, as the terminal's socket does: `command`, the auto-check's
 * `checking` right behind it, and the check's result (`ok`, or failed with `messages`). Sent in
 * one go, as one socket frame after another.
 */
export function commandFinished(page: Page, ok = true, messages: { zh: string; en: string }[] = []) {
  const lessonId = '15-netns-veth';
  return serverEvents(page, [
    { type: 'command', lessonId, step: 0 },
    { type: 'checking', lessonId, step: 0 },
    {
      type: 'check',
      result: {
        lessonId,
        step: 0,
        ok,
        elapsedMs: 1,
        conditions: ok ? [] : [{ kind: 'veth', ok: false, weak: false, messages }],
      },
      progress: { currentStep: 0, steps: [] },
    } as unknown as ServerEvent,
  ]);
}

/** Events from the server, as the page's socket hands them to its elements. */
export function serverEvents(page: Page, events: ServerEvent[]): Promise<void> {
  return page.evaluate((list) => {
    for (const detail of list) window.dispatchEvent(new CustomEvent('dl-server-event', { detail }));
  }, events);
}

/**
 * Opens a page with lesson Markdown rendered by <dl-markdown> inside an element carrying the lesson
 * id behind a shadow root (as the lesson page holds its step cards), the topology API answered with
 * `answer()`. Returns how many times that API was asked.
 */
export async function mountLessonText(
  page: Page,
  url: string,
  answer: () => TopologyView,
  markdown: string,
  lessonId = '15-netns-veth',
): Promise<() => number> {
  let asked = 0;
  await page.route(/\/api\/lessons\/[^/]+\/topology(\?|$)/, (r) => {
    asked++;
    return r.fulfill({ contentType: 'application/json', body: JSON.stringify(answer()) });
  });
  await page.goto(`${url}styles.css`);
  await page.evaluate(() => {
    document.body.innerHTML = '';
  });
  await page.addScriptTag({
    type: 'module',
    content: `import '/dl-markdown.ts';
      const page = document.createElement('div');
      page.setAttribute('lesson-id', ${JSON.stringify(lessonId)});
      page.style.cssText = 'width:720px;padding:16px;';
      const md = document.createElement('dl-markdown');
      md.source = ${JSON.stringify(markdown)};
      page.attachShadow({ mode: 'open' }).appendChild(md);
      document.body.appendChild(page);`,
  });
  await page.waitForFunction(
    () => !!document.querySelector('div[lesson-id]')?.shadowRoot?.querySelector('dl-markdown')?.shadowRoot,
  );
  return () => asked;
}
