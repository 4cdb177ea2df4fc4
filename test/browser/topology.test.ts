/**
 * The topology panel in real Chromium. First on states recorded from a real sandbox (lesson 15 step
 * by step, a crossed pair with a failed check, the busy sandbox), served by Vite with the API
 * answered from those states; the real-lab run of lesson 15 is in topology-lab.test.ts.
 * Screenshots go to docs/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { laptopPage, launch } from './browser.ts';
import {
  callWeb,
  commandFinished,
  devServer,
  mountLessonText,
  mountPanel,
  serverEvents,
  views,
} from './topology-harness.ts';
import type { TopologyView } from '../../engine/topology/types.ts';

const shots = path.resolve('docs/screenshots');
let vite: ViteDevServer;
let url: string;
let browser: Browser;
let page: Page;
let current: TopologyView;

beforeAll(async () => {
  ({ vite, url } = await devServer());
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await vite?.close();
});

async function open(first: TopologyView): Promise<void> {
  await page?.close();
  page = await laptopPage(browser);
  page.on('console', (m) => {
    if (process.env.DL_DEBUG) process.stderr.write(`console ${m.type()} ${m.text()}\n`);
  });
  page.on('framenavigated', () => {
    if (process.env.DL_DEBUG) process.stderr.write(`navigated ${page.url()}\n`);
  });
  current = first;
  await mountPanel(page, url, () => current);
  await drawn(first.takenAt);
}

/** Waits until the panel shows the snapshot `takenAt`. */
async function drawn(takenAt: string): Promise<void> {
  await expect
    .poll(
      () =>
        page.evaluate(
          () => (document.querySelector('dl-topology') as unknown as { drawnAt: string } | null)?.drawnAt,
        ),
      {
        timeout: 30_000,
        message: `snapshot ${takenAt} drawn`,
      },
    )
    .toBe(takenAt);
}

async function show(v: TopologyView, ok = true, messages: { zh: string; en: string }[] = []): Promise<void> {
  current = v;
  await commandFinished(page, ok, messages);
  await drawn(v.takenAt);
  await page.waitForTimeout(1000); // let the appear/move animations finish before a screenshot
}

async function shot(name: string): Promise<void> {
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

/** The veth wire: which boxes it joins, and which namespace box each end point lies in. */
function vethWires() {
  return page.evaluate(() => {
    const root = document.querySelector('dl-topology')!.shadowRoot!;
    const box = (id: string) => root.querySelector(`g[data-id="${CSS.escape(id)}"]`)!.getBoundingClientRect();
    const inside = (p: DOMRect, q: DOMRect) =>
      p.left >= q.left - 1 && p.right <= q.right + 1 && p.top >= q.top - 1 && p.bottom <= q.bottom + 1;
    const namespaces = Array.from(root.querySelectorAll<SVGGElement>('g.k-netns, g.k-container')).map(
      (g) => ({
        id: g.dataset.id!,
        r: g.getBoundingClientRect(),
      }),
    );
    return Array.from(root.querySelectorAll<SVGPathElement>('.wire.w-veth')).map((w) => {
      const ends = [w.dataset.a!, w.dataset.b!];
      return {
        ends,
        // The innermost namespace box around each end's box.
        in: ends.map(
          (e) =>
            namespaces
              .filter((n) => inside(box(e), n.r))
              .sort((x, y) => x.r.width * x.r.height - y.r.width * y.r.height)[0]?.id,
        ),
        length: w.getTotalLength(),
      };
    });
  });
}

const panelText = () =>
  page.evaluate(() => document.querySelector('dl-topology')!.shadowRoot!.textContent ?? '');

describe('topology panel on recorded states', () => {
  it('lesson 15: create the pair, move the ends, and the wire crosses the namespaces', async () => {
    const [pair, half, done] = views(['veth-host', 'veth-half', 'netns-veth']);
    await open(pair!);
    expect(await vethWires()).toEqual([expect.objectContaining({ in: ['host1/ns:host', 'host1/ns:host'] })]);
    await shot('topology-15-pair');

    await show(half!);
    const [w] = await vethWires();
    expect(w!.in.sort()).toEqual(['host1/ns:host', 'host1/ns:ns1']);
    expect(await panelText()).toContain('veth-ns1 移到了命名空间 ns1 里');
    await shot('topology-15-half');

    await show(done!);
    const [d] = await vethWires();
    expect(d!.ends.sort()).toEqual(['host1/ns:ns1/if:veth-ns1', 'host1/ns:ns2/if:veth-ns2']);
    expect(d!.in.sort()).toEqual(['host1/ns:ns1', 'host1/ns:ns2']);
    expect(d!.length).toBeGreaterThan(10);
    const text = await panelText();
    expect(text).toContain('veth-ns2 有了地址 192.168.0.12/24');
    expect(text).toContain('第 3 步');
    await shot('topology-15-done');
  });

  it('a failed check marks the objects it names, with what was expected beside what is there', async () => {
    const [crossed] = views(['veth-crossed']);
    await open(crossed!);
    const message = {
      zh: 'veth-ns1 的另一端是 veth-ns2，也在命名空间 ns1 里，应该在 ns2 里',
      en: "veth-ns1's other end is veth-ns2, also in namespace ns1; it should be in ns2",
    };
    await show(crossed!, false, [message]);
    const marked = await page.evaluate(() =>
      Array.from(document.querySelector('dl-topology')!.shadowRoot!.querySelectorAll<SVGElement>('g.hl')).map(
        (g) => g.dataset.id,
      ),
    );
    expect(marked.sort()).toEqual([
      'host1/ns:ns1',
      'host1/ns:ns1/if:veth-ns1',
      'host1/ns:ns1/if:veth-ns2',
      'host1/ns:ns2',
    ]);
    expect(await panelText()).toContain(message.zh);
    await shot('topology-15-crossed-failed');
  });

  it('the busy sandbox: fold a container by keyboard, zoom by keyboard, English labels, the text alternative', async () => {
    const [busy] = views(['docker'], '16-bridge');
    await open(busy!);
    await shot('topology-busy');
    const root = () => page.locator('dl-topology');
    // Tab from the diagram reaches the boxes; Enter folds the focused one.
    await page.evaluate(() =>
      document
        .querySelector('dl-topology')!
        .shadowRoot!.querySelector<SVGGElement>('g[data-id="host1/ctr:web"]')!
        .focus(),
    );
    await page.keyboard.press('Enter');
    await expect
      .poll(
        () =>
          page.evaluate(() => {
            const r = document.querySelector('dl-topology')!.shadowRoot!;
            return [
              r.querySelector('g[data-id="host1/ctr:web"]')?.getAttribute('aria-expanded'),
              !!r.querySelector('g[data-id="host1/ctr:web/if:eth0"]'),
            ];
          }),
        { timeout: 10_000 },
      )
      .toEqual(['false', false]);
    const before = await page.evaluate(
      () =>
        document.querySelector('dl-topology')!.shadowRoot!.querySelector<HTMLElement>('.canvas')!.style
          .transform,
    );
    await root().locator('.view').focus();
    await page.keyboard.press('+');
    await page.keyboard.press('ArrowLeft');
    const after = await page.evaluate(
      () =>
        document.querySelector('dl-topology')!.shadowRoot!.querySelector<HTMLElement>('.canvas')!.style
          .transform,
    );
    expect(after).not.toBe(before);
    // English, with the language switch the page uses.
    await callWeb(page, 'i18n.ts', 'setLang', 'en');
    await expect.poll(panelText, { timeout: 10_000 }).toContain('What that command changed');
    await expect
      .poll(() =>
        page.evaluate(
          () =>
            document
              .querySelector('dl-topology')!
              .shadowRoot!.querySelector('svg g[data-id="host1"] text.t-title')?.textContent,
        ),
      )
      .toMatch(/^host /);
    const alt = await page.evaluate(
      () => document.querySelector('dl-topology')!.shadowRoot!.querySelector('details.alt')!.textContent,
    );
    expect(alt).toContain('container web, nginx · running, published 8080→80/tcp');
    await shot('topology-busy-en');
  });

  it("a lesson's small live diagram: only ns1 and ns2, compact", async () => {
    await page?.close();
    page = await laptopPage(browser);
    const [done] = views(['netns-veth']);
    current = done!;
    await mountPanel(page, url, () => current, { active: '', compact: '', show: 'ns1 ns2' });
    await drawn(done!.takenAt);
    const ids = await page.evaluate(() =>
      Array.from(
        document.querySelector('dl-topology')!.shadowRoot!.querySelectorAll<SVGGElement>('g[data-id]'),
      ).map((g) => g.dataset.id),
    );
    expect(ids).toEqual(expect.arrayContaining(['host1/ns:ns1/if:veth-ns1', 'host1/ns:ns2/if:veth-ns2']));
    expect(ids).not.toContain('host1/ns:host/if:docker0');
    expect(await page.locator('dl-topology .bar').count()).toBe(0);
    await page.locator('dl-topology').screenshot({ path: path.join(shots, 'topology-lesson-block.png') });
  });
});

describe('when the diagram looks again', () => {
  it('after a command; after a running check, once; and after a command when no check follows', async () => {
    await page?.close();
    page = await laptopPage(browser);
    const [a, b, c, d] = views(['veth-host', 'veth-half', 'veth-crossed', 'netns-veth']);
    current = a!;
    let asked = 0;
    await mountPanel(page, url, () => (asked++, current));
    await drawn(a!.takenAt);
    const lessonId = '15-netns-veth';
    // A command with a check: one look, after the check's result.
    current = b!;
    const before = asked;
    await commandFinished(page);
    await drawn(b!.takenAt);
    expect(asked - before).toBe(1);
    // The check is running: a command's look waits for its result (nothing asked meanwhile).
    current = c!;
    await serverEvents(page, [
      { type: 'command', lessonId, step: 2 },
      { type: 'checking', lessonId, step: 2 },
    ]);
    const during = asked;
    // A lesson's other events and other lessons' do not make it look.
    await serverEvents(page, [{ type: 'command', lessonId: '16-container-veth-bridge', step: 0 }]);
    await serverEvents(page, [
      {
        type: 'check',
        result: { lessonId, step: 2, ok: true, elapsedMs: 1, conditions: [] },
        progress: { currentStep: 3, steps: [] },
      } as never,
    ]);
    await drawn(c!.takenAt);
    expect(asked).toBe(during + 1);
    // Every step passed: a command alone, no check behind it.
    current = d!;
    await serverEvents(page, [{ type: 'command', lessonId, step: 5 }]);
    await drawn(d!.takenAt);
    // A command that changed nothing drawn (ls, a ping): the picture on screen stays, not redrawn.
    const picture = () =>
      page.evaluate(() => {
        const svg = document.querySelector('dl-topology')!.shadowRoot!.querySelector('svg')!;
        const w = window as unknown as { __drawn?: SVGElement };
        const same = w.__drawn === svg;
        w.__drawn = svg;
        return same;
      });
    await picture();
    current = { ...d!, takenAt: 'nothing-changed' };
    await serverEvents(page, [{ type: 'command', lessonId, step: 5 }]);
    await drawn('nothing-changed');
    expect(await picture()).toBe(true);
    current = { ...c!, takenAt: 'changed-again' };
    await serverEvents(page, [{ type: 'command', lessonId, step: 5 }]);
    await drawn('changed-again');
    expect(await picture()).toBe(false);
  });
});

describe("a lesson's ```topology block, rendered from the lesson's Markdown", () => {
  const markdown = [
    '看图：',
    '',
    '```topology',
    'netns: ns1 ns2',
    'show: veth-ns1 veth-ns2',
    '```',
    '',
    'A block the linter refuses stays code:',
    '',
    '```topology',
    'show: x"><img src=x onerror="window.__pwned=1">',
    '```',
  ].join('\n');
  const inText = (js: string) =>
    page.evaluate(
      (code) =>
        new Function('root', code)(
          document.querySelector('div[lesson-id]')!.shadowRoot!.querySelector('dl-markdown')!.shadowRoot!,
        ) as unknown,
      js,
    );

  it('draws what it names, live, after each command; says so before it exists; a bad block is only text', async () => {
    await page?.close();
    page = await laptopPage(browser);
    const [bare, pair, done] = views(['bare', 'veth-host', 'netns-veth']);
    current = bare!;
    const asked = await mountLessonText(page, url, () => current, markdown);
    // Its lesson is the page's; before ns1 and ns2 exist it says so.
    await expect
      .poll(() => inText("return root.querySelector('dl-topology')?.shadowRoot?.textContent ?? ''"), {
        timeout: 30_000,
      })
      .toContain('ns1、ns2、veth-ns1、veth-ns2 还不存在');
    expect(await inText("return root.querySelector('dl-topology').lessonId")).toBe('15-netns-veth');
    expect(await inText("return root.querySelector('dl-topology').getAttribute('show')")).toBe(
      'netns:ns1 netns:ns2 veth-ns1 veth-ns2',
    );
    // The refused block: its text as code, no element made of it, nothing run.
    expect(await inText('return root.querySelectorAll("dl-topology").length')).toBe(1);
    expect(await inText('return root.querySelectorAll("img").length')).toBe(0);
    expect(await inText('return [...root.querySelectorAll("pre code")].map((c) => c.textContent)')).toEqual([
      'show: x"><img src=x onerror="window.__pwned=1">',
    ]);
    expect(await page.evaluate(() => '__pwned' in window)).toBe(false);

    const wires = () =>
      inText(`const t = root.querySelector('dl-topology').shadowRoot;
        return [...t.querySelectorAll('.wire.w-veth')].map((w) => {
          const box = (id) => t.querySelector('g[data-id="' + CSS.escape(id) + '"]').getBoundingClientRect();
          const inside = (p, q) => p.left >= q.left - 1 && p.right <= q.right + 1 && p.top >= q.top - 1 && p.bottom <= q.bottom + 1;
          const spaces = [...t.querySelectorAll('g.k-netns')].map((g) => ({ id: g.dataset.id, r: g.getBoundingClientRect() }));
          return [w.dataset.a, w.dataset.b].map((e) => spaces.filter((n) => inside(box(e), n.r)).sort((x, y) => x.r.width * x.r.height - y.r.width * y.r.height)[0]?.id).sort();
        });`);
    const drawnIn = () => inText("return root.querySelector('dl-topology').drawnAt");
    // The pair made: both ends in the host's box, the wire between them.
    current = pair!;
    const n = asked();
    await commandFinished(page);
    await expect.poll(drawnIn, { timeout: 30_000 }).toBe(pair!.takenAt);
    expect(asked()).toBe(n + 1);
    // Measured once the move animations have settled.
    await expect.poll(wires, { timeout: 10_000 }).toEqual([['host1/ns:host', 'host1/ns:host']]);
    // The ends moved: the wire runs from the ns1 box to the ns2 box; docker0 is not drawn.
    current = done!;
    await commandFinished(page);
    await expect.poll(drawnIn, { timeout: 30_000 }).toBe(done!.takenAt);
    await expect.poll(wires, { timeout: 10_000 }).toEqual([['host1/ns:ns1', 'host1/ns:ns2']]);
    expect(
      await inText(
        `return !!root.querySelector('dl-topology').shadowRoot.querySelector('g[data-id="host1/ns:host/if:docker0"]')`,
      ),
    ).toBe(false);
    // The same facts as text, and the diagram reachable by keyboard.
    expect(
      await inText(
        "return root.querySelector('dl-topology').shadowRoot.querySelector('details.alt').textContent",
      ),
    ).toMatch(/veth-ns1[\s\S]*192\.168\.0\.11\/24/);
    expect(
      await inText("return root.querySelector('dl-topology').shadowRoot.querySelector('.view').tabIndex"),
    ).toBe(0);
    await page.waitForTimeout(1000); // the appear/move animations, before the picture
    await page
      .locator('div[lesson-id]')
      .screenshot({ path: path.join(shots, 'topology-lesson-block-15.png') });
  });
});

describe('readable in the dark', () => {
  it('every label of the busy sandbox stands out from its box by a contrast of 4.5 or more', async () => {
    const [busy] = views(['docker']);
    await open(busy!);
    const worst = await page.evaluate(() => {
      const lum = (c: string) => {
        const [r, g, b] = (c.match(/\d+(\.\d+)?/g) ?? [])
          .slice(0, 3)
          .map(Number)
          .map((v) => {
            const s = v / 255;
            return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
          });
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      const root = document.querySelector('dl-topology')!.shadowRoot!;
      const out: { text: string; ratio: number }[] = [];
      for (const t of Array.from(root.querySelectorAll<SVGTextElement>('svg text'))) {
        const box = t.closest('g[data-id]')?.querySelector(':scope > rect');
        const bg = box
          ? getComputedStyle(box).fill
          : getComputedStyle(root.querySelector('svg')!).backgroundColor;
        const [a, b] = [lum(getComputedStyle(t).fill), lum(bg)].sort((x, y) => y - x);
        out.push({ text: t.textContent ?? '', ratio: (a! + 0.05) / (b! + 0.05) });
      }
      return out.sort((x, y) => x.ratio - y.ratio).slice(0, 3);
    });
    expect(worst.length).toBe(3);
    expect(worst[0]!.ratio, JSON.stringify(worst)).toBeGreaterThanOrEqual(4.5);
  });
});
