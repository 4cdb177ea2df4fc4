/**
 * The topology on real labs (QEMU VMs) in real Chromium, through the real server. Lesson 15: the
 * learner makes the veth pair, moves its ends, crosses them by mistake (the failed check marks them
 * on the diagram), fixes it, and the wire runs from ns1 to ns2. Lesson 16: a container's eth0 wired
 * to its veth… port on docker0, in the lesson's own small diagram and in the panel, in the dark
 * theme too. Lesson 24 on two VMs (its first steps run by 跳过 / skip, the server's runner): both
 * VMs on the LAN and the GRE tunnel between them. One lab at a time; screenshots in docs/screenshots/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../engine/server/app.ts';
import { lessonFiles, loadLesson } from '../../engine/lessons/load.ts';
import type { TopologyView } from '../../engine/topology/types.ts';
import { laptopPage, launch, stepStates, terminalText, typeInTerminal, realLabApp } from './browser.ts';

function sandboxBuilt(): boolean {
  const snaps = path.join(process.env.DOCKERLAB_CACHE ?? '/var/cache/dockerlab', 'snapshots');
  return (
    fs.existsSync(snaps) && fs.readdirSync(snaps).some((d) => fs.existsSync(path.join(snaps, d, 'READY')))
  );
}
const shots = path.resolve('docs/screenshots');
const lessonId = '15-netns-veth';

let app: App;
let browser: Browser;
let page: Page;

const until = (p: () => Promise<boolean>, ms: number, what: string) =>
  expect.poll(p, { timeout: ms, interval: 500, message: what }).toBe(true);
const stepIs = (i: number, state: string) =>
  until(async () => (await stepStates(page))[i] === state, 180_000, `step ${i + 1} ${state}`);

/** The graph the panel holds now (what the server last sent it). */
const panelView = () =>
  page.evaluate(
    () =>
      (
        document
          .querySelector('dl-app')
          ?.shadowRoot?.querySelector('dl-lesson-page')
          ?.shadowRoot?.querySelector('dl-lab-panel')
          ?.shadowRoot?.querySelector('dl-topology') as unknown as { view: TopologyView | null } | null
      )?.view ?? null,
  );
const veths = async () =>
  ((await panelView())?.graph.edges ?? []).filter((e) => e.kind === 'veth').map((e) => [e.a, e.b].sort());

async function topology(on: boolean): Promise<void> {
  const toggle = page.locator('dl-lesson-page .topology-toggle');
  if ((await toggle.getAttribute('aria-pressed')) !== String(on)) await toggle.click();
  if (on) await page.waitForTimeout(1500); // layout and the appear/move animations
}

async function shot(name: string): Promise<void> {
  fs.mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
}

async function openLesson(id: string, hosts = 1): Promise<void> {
  await page.goto(`${app.url}#/lesson/${id}`);
  await until(
    async () => (await page.locator('[data-lab="ready"]').count()) > 0,
    600_000,
    `lab ready for ${id}`,
  );
  await until(async () => (await terminalText(page)).includes('root@host1'), 120_000, 'the VM prompt');
  if (hosts > 1) expect(await page.locator('dl-lab-panel .tab', { hasText: 'host2' }).count()).toBe(1);
}

/** 跳过 / skip through the server's API, as the step card's button does (the solution runs in the lab). */
async function skip(id: string, step: number): Promise<void> {
  const status = await page.evaluate(
    async ({ id, step }) => (await fetch(`/api/lessons/${id}/steps/${step}/skip`, { method: 'POST' })).status,
    { id, step },
  );
  expect(status, `skip ${id} step ${step + 1}`).toBe(200);
}

// Skipped only where the sandbox has not been built (no VM snapshot); `npm test` builds it first.
describe.skipIf(!sandboxBuilt())('the topology in real labs', () => {
  beforeAll(async () => {
    const files = (await lessonFiles('lessons')).filter(
      (f) => /\/(15|16|24)-/.test(f) && !f.endsWith('.en.md'),
    );
    app = await realLabApp(await Promise.all(files.map(loadLesson)));
    browser = await launch();
    page = await laptopPage(browser);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('starts the lab for lesson 15', async () => {
    await openLesson(lessonId);
  });

  it('lesson 15: create the pair, move the ends, cross them, fix it: the wire follows', async () => {
    await typeInTerminal(page, 'ip netns add ns1; ip netns add ns2; ip netns exec ns1 ip link set lo up\n');
    await stepIs(0, 'passed');
    await typeInTerminal(page, 'ip link add veth-ns1 type veth peer name veth-ns2\n');
    await stepIs(1, 'passed');
    await until(
      async () =>
        JSON.stringify(await veths()) ===
        JSON.stringify([['host1/ns:host/if:veth-ns1', 'host1/ns:host/if:veth-ns2']]),
      60_000,
      'the pair in the host namespace',
    );
    await topology(true);
    await shot('topology-lab-15-pair');

    await topology(false);
    await typeInTerminal(page, 'ip link set veth-ns1 netns ns1\n');
    await until(
      async () =>
        JSON.stringify(await veths()) ===
        JSON.stringify([['host1/ns:host/if:veth-ns2', 'host1/ns:ns1/if:veth-ns1']]),
      60_000,
      'one end in ns1',
    );
    // The crossed mistake: the other end into ns1 too. The check fails and names it.
    await typeInTerminal(page, 'ip link set veth-ns2 netns ns1\n');
    await stepIs(2, 'failed');
    await until(
      async () =>
        JSON.stringify(await veths()) ===
        JSON.stringify([['host1/ns:ns1/if:veth-ns1', 'host1/ns:ns1/if:veth-ns2']]),
      60_000,
      'both ends in ns1',
    );
    await topology(true);
    const marked = await page
      .locator('dl-lab-panel dl-topology g.hl')
      .evaluateAll((gs) => gs.map((g) => (g as SVGGElement).dataset.id));
    expect(marked.length).toBeGreaterThan(0);
    expect(await page.locator('dl-lab-panel dl-topology .failed').textContent()).toMatch(/veth-ns2|ns2/);
    await shot('topology-lab-15-crossed');

    await topology(false);
    await typeInTerminal(page, 'ip netns exec ns1 ip link set veth-ns2 netns ns2\n');
    await stepIs(2, 'passed');
    await until(
      async () =>
        JSON.stringify(await veths()) ===
        JSON.stringify([['host1/ns:ns1/if:veth-ns1', 'host1/ns:ns2/if:veth-ns2']]),
      60_000,
      'the wire from ns1 to ns2',
    );
    await topology(true);
    // Drawn: the wire's ends sit in the ns1 and ns2 boxes.
    const ends = await page
      .locator('dl-lab-panel dl-topology path.w-veth')
      .evaluate((w) => [(w as SVGPathElement).dataset.a, (w as SVGPathElement).dataset.b].sort());
    expect(ends).toEqual(['host1/ns:ns1/if:veth-ns1', 'host1/ns:ns2/if:veth-ns2']);
    await shot('topology-lab-15-done');
    const history = (await panelView())!.history.flatMap((h) => h.changes.map((c) => c.text.zh));
    expect(history).toContain('veth-ns1 移到了命名空间 ns1 里');
    expect(history).toContain('veth-ns2 移到了命名空间 ns2 里');
    expect(await page.locator('dl-lab-panel dl-topology .changes').textContent()).toContain(
      'ip netns exec ns1 ip link set veth-ns2 netns ns2',
    );
  });
  it("lesson 16: box's eth0 wired to its veth… port on docker0, in the lesson's small diagram and the panel", async () => {
    await openLesson('16-container-veth-bridge');
    await typeInTerminal(page, 'docker run -dit --name box busybox\n');
    await stepIs(0, 'passed');
    // The step's own diagram (```topology: container box, bridge docker0), drawn from the lab.
    const block = page.locator('dl-step-card dl-topology[show="container:box bridge:docker0"]');
    await until(
      async () => (await block.locator('path.w-veth[data-a="host1/ctr:box/if:eth0"]').count()) === 1,
      60_000,
      "box's wire in the lesson's diagram",
    );
    const port = await block.locator('path.w-veth[data-a="host1/ctr:box/if:eth0"]').getAttribute('data-b');
    expect(port).toMatch(/^host1\/ns:host\/if:veth[0-9a-f]{7}$/);
    expect(
      await block.locator(`path.w-bridge-port[data-a="${port}"][data-b="host1/ns:host/if:docker0"]`).count(),
    ).toBe(1);
    await block.scrollIntoViewIfNeeded();
    await page.waitForTimeout(1000); // the appear animations, before the picture
    await block.screenshot({ path: path.join(shots, 'topology-lab-16-block.png') });
    // The panel: the same wire, the container's box around its eth0.
    await topology(true);
    const graph = (await panelView())!.graph;
    expect(graph.edges).toContainEqual(
      expect.objectContaining({ kind: 'veth', a: 'host1/ctr:box/if:eth0', b: port }),
    );
    expect(graph.edges).toContainEqual(
      expect.objectContaining({ kind: 'bridge-port', a: port, b: 'host1/ns:host/if:docker0' }),
    );
    const panel = page.locator('dl-lab-panel dl-topology');
    expect(await panel.locator('path.w-veth[data-a="host1/ctr:box/if:eth0"]').count()).toBe(1);
    await shot('topology-lab-16-box');
    // The dark theme, with the page's own switch: the page goes dark, the diagram stays readable.
    await page.locator('dl-app button', { hasText: '深色' }).click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await shot('topology-lab-16-dark');
    await page.locator('dl-app button', { hasText: '浅色' }).click();
    await topology(false);
  });

  it('lesson 24 on two VMs: both on the LAN, the GRE tunnel between them', async () => {
    await openLesson('24-cross-host-ovs-gre', 2);
    await skip('24-cross-host-ovs-gre', 0);
    await stepIs(0, 'skipped');
    await skip('24-cross-host-ovs-gre', 1);
    await stepIs(1, 'skipped');
    await topology(true);
    // The panel looks after each skip: wait for the lab as step 2 left it.
    const has = (edges: TopologyView['graph']['edges'], kind: string, a: string, b: string) =>
      edges.some((e) => e.kind === kind && e.a === a && e.b === b);
    await until(
      async () => {
        const edges = (await panelView())?.graph.edges ?? [];
        return (
          has(edges, 'tunnel', 'host1/ns:host/if:gre0', 'host2/ns:host/if:gre0') &&
          has(edges, 'bridge-port', 'host2/ns:host/if:obr0', 'host2/ns:host/if:br0')
        );
      },
      60_000,
      'the GRE tunnel from host1 to host2, and obr0 in br0',
    );
    const graph = (await panelView())!.graph;
    expect(
      graph.edges
        .filter((e) => e.kind === 'lan')
        .map((e) => e.a)
        .sort(),
    ).toEqual(['host1/ns:host/if:eth0', 'host2/ns:host/if:eth0']);
    for (const h of ['host1', 'host2'])
      expect(graph.edges).toContainEqual(
        expect.objectContaining({ kind: 'bridge-port', a: `${h}/ns:host/if:obr0`, b: `${h}/ns:host/if:br0` }),
      );
    // Drawn: two wires to the LAN, one tunnel, from one VM's box to the other's.
    const panel = page.locator('dl-lab-panel dl-topology');
    await until(async () => (await panel.locator('path.w-tunnel').count()) === 1, 30_000, 'the tunnel drawn');
    expect(await panel.locator('path.w-lan').count()).toBe(2);
    await page.waitForTimeout(1000); // the appear animations, before the picture
    await shot('topology-lab-24-two-host');
    // What each skip changed is listed, per step.
    const changes = await panel.locator('.changes').textContent();
    expect(changes).toContain('obr0');
    expect(changes).toContain('第 1 步');
    // Two VMs: each change and each command says which one.
    expect(changes).toContain('host2：OVS 网桥 obr0 加了端口 gre0');
    expect(changes).toContain('host2$ ovs-vsctl add-br obr0');
  });
});
