/**
 * Graph → the same facts as a nested list of sentences: the text alternative of the diagram (the
 * web panel's list for screen readers) and the CLI's plain output. Builds under both tsconfigs.
 */
import { nodeLines, word, type Lang } from './labels.ts';
import type { Graph, TopoNode } from './types.ts';
import { spaced } from './zh.ts';

export interface Item {
  id: string;
  text: string;
  children: Item[];
}

const linkWords: Record<string, [string, string]> = {
  veth: ['veth 连到', 'veth to'],
  'bridge-port': ['接在', 'port of'],
  tunnel: ['隧道通到', 'tunnel to'],
  macvlan: ['macvlan 依附于', 'macvlan on'],
  lan: ['接在', 'on'],
  'shares-netns': ['共用网络命名空间：', 'shares the network namespace of'],
  mount: ['挂载了', 'mounts'],
};

export function describeGraph(g: Graph, lang: Lang): Item[] {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const kids = new Map<string, TopoNode[]>();
  for (const n of g.nodes) if (n.parent) kids.set(n.parent, [...(kids.get(n.parent) ?? []), n]);
  const where = (id: string): string => {
    const n = byId.get(id);
    if (!n) return id;
    const own = nodeLines(n, { lang })[0]?.text ?? n.name;
    const p = n.parent ? byId.get(n.parent) : undefined;
    if (n.kind !== 'interface' && n.kind !== 'bridge') return own;
    if (!p || p.kind === 'host') return own;
    const box = nodeLines(p, { lang })[0]?.text ?? p.name;
    return lang === 'zh' ? `${box}里的${own}` : `${own} in ${box}`;
  };
  const item = (n: TopoNode): Item => {
    const lines = nodeLines(n, { lang, showMounts: true });
    const text = lines
      .map((l) => l.text)
      .filter(Boolean)
      .join(lang === 'zh' ? '，' : ', ');
    const wires = g.edges
      .filter((e) => e.a === n.id || (e.b === n.id && e.kind === 'veth'))
      .map((e) => {
        const other = e.a === n.id ? e.b : e.a;
        const w = linkWords[e.kind] ?? [e.kind, e.kind];
        return lang === 'zh' ? spaced(`${w[0]}${where(other)}`) : `${w[1]} ${where(other)}`;
      });
    const children = (kids.get(n.id) ?? []).map(item);
    return {
      id: n.id,
      text: wires.length
        ? `${text}${lang === 'zh' ? '；' : '; '}${wires.join(lang === 'zh' ? '；' : '; ')}`
        : text,
      children,
    };
  };
  const roots = g.nodes.filter((n) => !n.parent || !byId.has(n.parent));
  // Hosts first, then the LAN and remote ends.
  roots.sort((a, b) => Number(a.kind !== 'host') - Number(b.kind !== 'host'));
  return roots.map(item);
}

export function describeText(g: Graph, lang: Lang): string {
  const out: string[] = [];
  const walk = (it: Item, d: number): void => {
    out.push(`${'  '.repeat(d)}- ${it.text}`);
    for (const c of it.children) walk(c, d + 1);
  };
  for (const it of describeGraph(g, lang)) walk(it, 0);
  return out.join('\n') + '\n';
}

export { word };
