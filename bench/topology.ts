/**
 * Topology benchmarks, called by `npm run bench` as `bench(lab, say)`:
 * - the diff's cost per command: the extra snapshot the panel asks for (real lab, the busy sandbox's
 *   state is not needed for that: the guest script's cost is about the same) and state → diff and
 *   state → graph on the recorded states, in Node;
 * - state → drawn diagram for the busy sandbox in real Chromium: the recorded state made into a
 *   graph, laid out by elkjs and drawn by <dl-topology>, until the next frame (target ≤ 200 ms p95).
 */
import type { Lab } from '../engine/sandbox/api.ts';
import { inspectLab } from '../engine/inspect/inspect.ts';
import { labGraph } from '../engine/topology/graph.ts';
import { diffStates } from '../engine/topology/diff.ts';
import { recorded } from '../test/unit/topology/states.ts';
import { laptopPage, launch } from '../test/browser/browser.ts';
import { devServer, mountPanel, views } from '../test/browser/topology-harness.ts';
import { ms, percentile, timeIt } from './stats.ts';

type Say = (line: string) => void;

/** The recorded states in the order they were recorded: each pair is one scenario's commands. */
const sequence = [
  'bare',
  'netns-veth',
  'veth-down',
  'veth-host',
  'veth-half',
  'veth-crossed',
  'docker',
  'bridge-ovs',
  'daemon-config',
  'docker-stopped',
];

export async function bench(lab: Lab, say: Say): Promise<Record<string, never>> {
  const states = sequence.map(recorded);
  const diffs: number[] = [];
  for (let round = 0; round < 50; round++)
    for (let i = 1; i < states.length; i++) {
      const t = performance.now();
      diffStates('host1', states[i - 1]!, states[i]!);
      diffs.push(performance.now() - t);
    }
  const busy = recorded('docker');
  const graphs = await timeIt(200, async () => labGraph({ host1: busy }));
  say(
    `状态→差异 / state → diff (recorded pairs, Node): p50 ${ms(percentile(diffs, 50))}, p95 ${ms(percentile(diffs, 95))}; 状态→图 / state → graph, busy sandbox: p50 ${ms(percentile(graphs, 50))}, p95 ${ms(percentile(graphs, 95))}`,
  );
  // What each command costs the lab when the panel is open: one more snapshot (no image history).
  const snaps = await timeIt(8, () => inspectLab(lab, { skip: ['info', 'history'] }));
  say(
    `每条命令多一次快照 / one more snapshot per command (real lab, panel's options): p50 ${ms(percentile(snaps, 50))}, p95 ${ms(percentile(snaps, 95))}`,
  );
  await benchBrowser(say);
  return {}; // no figure of the JSON report (issue 12) comes from here
}

export async function benchBrowser(say: Say): Promise<void> {
  const { vite, url } = await devServer();
  const browser = await launch();
  try {
    const page = await laptopPage(browser);
    const [first] = views(['bare']);
    await mountPanel(page, url, () => first!);
    // WARNING: the panel fetches its lab once when it connects. Answered after the first timed
    // view was set (a loaded machine: a lab running beside), that answer replaced it and run 0
    // never drew ("the panel did not draw run 0 in 20 s"); seen again with the answer held 3 s.
    await page.waitForFunction(() => {
      const el = document.querySelector('dl-topology') as unknown as { drawnAt: string; loading: boolean };
      return el.drawnAt === '0' && !el.loading;
    });
    // Two busy states in turn: the panel skips redrawing a graph it already shows (a command that
    // changed nothing drawn), so the same state twice would time that shortcut, not a layout.
    const busy = [recorded('docker'), recorded('bridge-ovs')];
    const runs = 40;
    const warmup = 5; // the first draws pay for JIT compilation of elkjs
    // In the page: state → graph (the same module the server runs), handed to the panel, until the
    // frame after it drew. Graph built in the page so the figure covers the whole way.
    // The same module the server runs, loaded into the page (a module script: a dynamic import
    // inside page.evaluate is rewritten by some TypeScript runners).
    await page.addScriptTag({
      type: 'module',
      content: `import { labGraph } from '/@fs${process.cwd()}/engine/topology/graph.ts'; window.__labGraph = labGraph;`,
    });
    await page.waitForFunction(() => '__labGraph' in window);
    // In the page: state → graph, handed to the panel, until the frame after it drew.
    const times = await page.evaluate(
      async ({ states, runs }) => {
        const build = (window as unknown as { __labGraph: (s: Record<string, unknown>) => unknown })
          .__labGraph;
        const el = document.querySelector('dl-topology') as unknown as { view: unknown; drawnAt: string };
        const out: number[] = [];
        for (let i = 0; i < runs; i++) {
          const t0 = performance.now();
          const state = states[i % states.length]!;
          el.view = { lessonId: 'bench', takenAt: `bench-${i}`, graph: build({ host1: state }), history: [] };
          // A draw that never lands is a failure to report, not a bench that hangs.
          while (el.drawnAt !== `bench-${i}`) {
            if (performance.now() - t0 > 20_000)
              throw new Error(
                `the panel did not draw run ${i} in 20 s (it shows ${el.drawnAt || 'nothing'})`,
              );
            await new Promise((r) => setTimeout(r, 1));
          }
          await new Promise((r) => requestAnimationFrame(r));
          out.push(performance.now() - t0);
        }
        return out;
      },
      { states: busy, runs: runs + warmup },
    );
    times.splice(0, warmup);
    if (process.env.DL_BENCH_DEBUG) say(times.map((t) => t.toFixed(0)).join(' '));
    const sizes = busy.map((s) => labGraph({ host1: s })).map((g) => `${g.nodes.length}/${g.edges.length}`);
    say(
      `状态→画好的图 / state → drawn diagram, busy sandbox (two states in turn, nodes/edges ${sizes.join(' and ')}; Chromium, ${runs} runs): p50 ${ms(percentile(times, 50))}, p95 ${ms(percentile(times, 95))} (target ≤ 200 ms)`,
    );
  } finally {
    await browser.close();
    await vite.close();
  }
}

export async function main(): Promise<number> {
  const { startLab } = await import('../engine/sandbox/lab.ts');
  const lab = await startLab({ label: 'bench topology' });
  try {
    await bench(lab, (l) => process.stdout.write(`${l}\n`));
  } finally {
    await lab.down();
  }
  return 0;
}
