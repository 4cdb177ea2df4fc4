/**
 * `dockerlab sandbox topology LAB[:HOST] [--json | --svg] [--en]`: the lab's network as the
 * learner's panel draws it. Default: the facts as an indented list; `--json` the graph
 * `{ nodes, edges }`; `--svg` the picture (dark theme, standalone).
 */
import { inspectHost } from '../inspect/inspect.ts';
import type { HostState } from '../inspect/types.ts';
import { labGraph } from './graph.ts';
import { layoutGraph, type Lang } from './layout.ts';
import { scene, svgString } from './svg.ts';
import { describeText } from './describe.ts';
import type { Graph } from './types.ts';

export const usage = `用法 / usage: dockerlab sandbox topology LAB[:HOST] [--json | --svg] [--en]
  （不带 :HOST 时画整个实验环境 / without :HOST, the whole lab）`;

/** Renders a graph the way the CLI prints it. */
export async function render(g: Graph, format: 'text' | 'json' | 'svg', lang: Lang): Promise<string> {
  if (format === 'json') return JSON.stringify(g, null, 1) + '\n';
  if (format === 'text') return describeText(g, lang);
  const l = await layoutGraph(g, { lang });
  const title = lang === 'zh' ? '实验环境的网络拓扑' : "the lab's network topology";
  return svgString(scene(l, { title, standalone: true })) + '\n';
}

export async function main(args: string[]): Promise<number> {
  const spec = args.find((a) => !a.startsWith('--'));
  const bad = args.filter((a) => a.startsWith('--') && !['--json', '--svg', '--en'].includes(a));
  if (!spec || bad.length || (args.includes('--json') && args.includes('--svg'))) {
    process.stderr.write(
      `${bad.length ? `不认识的选项 / unknown option: ${bad.join(' ')}\n` : ''}${usage}\n`,
    );
    return 2;
  }
  const [id, only] = spec.split(':');
  const { attachLab } = await import('../sandbox/lab.ts');
  const lab = await attachLab(id!);
  try {
    const hosts = only ? [lab.host(only)] : lab.hosts;
    const states: Record<string, HostState> = {};
    for (const [i, s] of (await Promise.all(hosts.map((h) => inspectHost(h)))).entries())
      states[hosts[i]!.name] = s;
    const format = args.includes('--json') ? 'json' : args.includes('--svg') ? 'svg' : 'text';
    process.stdout.write(await render(labGraph(states), format, args.includes('--en') ? 'en' : 'zh'));
    return 0;
  } finally {
    lab.detach?.();
  }
}
