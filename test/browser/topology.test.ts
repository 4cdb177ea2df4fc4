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
import { callWeb, commandFinished, devServer, mountPanel, views } from './topology-harness.ts';
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
