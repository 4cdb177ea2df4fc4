/**
 * Graph → positioned boxes and wires, by ELK's layered algorithm (elkjs) over the compound graph:
 * hosts contain namespaces and containers, which contain their interfaces; wires cross the boxes.
 * Runs in Node (the CLI's --svg) and in the browser (the topology panel), so both draw the same
 * picture. Builds under both tsconfigs: no DOM, no Node.
 *
 * Text is measured by estimate (no DOM in Node): the font is monospace, so an ASCII character is
 * 0.6 em and a CJK one 1 em, which is what every monospace font the page falls back to does.
 */
import ElkBundled from 'elkjs/lib/elk.bundled.js';
import type { ELK, ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import type { EdgeKind, Graph, NodeKind, TopoNode } from './types.ts';

export type Lang = 'zh' | 'en';

export interface LayoutOptions {
  lang: Lang;
  /** Compound nodes (hosts, namespaces, containers) drawn closed, as one box with a count. */
  collapsed?: ReadonlySet<string>;
  /** Loopback interfaces (every namespace has one; they say little). Default: hidden. */
  showLoopback?: boolean;
  /** Mounts on container boxes, and volumes with their mount wires. Default: hidden. */
  showMounts?: boolean;
}

/** One line of text in a box; `cls` picks its style (name, state, addr, fact, nat, muted). */
export interface Line {
  text: string;
  cls: 'title' | 'name' | 'state' | 'addr' | 'fact' | 'nat' | 'muted';
}

export interface Box {
  id: string;
  kind: NodeKind;
  /** Interface state or container state, for colouring. */
  state?: string;
  flavor?: string;
  x: number;
  y: number;
  w: number;
  h: number;
  /** Where the header lines go, from the box's corner (a leaf's are at 0,0). */
  hx: number;
  hy: number;
  /** Has visible children drawn inside it (its lines are a header). */
  compound: boolean;
  /** Can be opened or closed (has children in the graph). */
  collapsible: boolean;
  collapsed: boolean;
  /** How many graph nodes a closed box hides. */
  hidden: number;
  depth: number;
  lines: Line[];
}

export interface Wire {
  id: string;
  kind: EdgeKind;
  a: string;
  b: string;
  points: [number, number][];
}

export interface Layout {
  width: number;
  height: number;
  boxes: Box[];
  wires: Wire[];
}

export const fontPx = 12;
const headerSuffix = '\u0000header';
export const lineHeight = 16;
const pad = 8;

/** Width of `s` in px at fontPx in a monospace font (CJK characters are full width). */
export function textWidth(s: string, px = fontPx): number {
  let w = 0;
  // 0.62 em, not 0.6: bold titles and fallback fonts run a little wider.
  for (const ch of s) w += /[\u2e80-\u9fff\uff00-\uffef\u3000-\u303f]/.test(ch) ? px : px * 0.62;
  return Math.ceil(w);
}

const words: Record<string, [string, string]> = {
  host: ['主机', 'host'],
  netnsHost: ['宿主机的网络命名空间', "host's network namespace"],
  netns: ['网络命名空间', 'network namespace'],
  netnsUnnamed: ['没有名字的网络命名空间', 'unnamed network namespace'],
  container: ['容器', 'container'],
  bridge: ['网桥', 'bridge'],
  ovs: ['OVS 网桥', 'OVS bridge'],
  volume: ['数据卷', 'volume'],
  lan: ['局域网', 'LAN'],
  remote: ['隧道远端', 'tunnel remote'],
  route: ['默认路由', 'default route'],
  ports: ['发布端口', 'published'],
  netnsName: ['ip netns 名字', 'ip netns name'],
  hidden: ['个对象收起来了', 'objects folded'],
  running: ['运行中', 'running'],
  exited: ['已退出', 'exited'],
  created: ['已创建', 'created'],
  paused: ['已暂停', 'paused'],
};
export const word = (k: string, lang: Lang): string => words[k]?.[lang === 'zh' ? 0 : 1] ?? k;

/** The lines a node shows: title first, then its facts. */
export function nodeLines(n: TopoNode, o: LayoutOptions): Line[] {
  const L = o.lang;
  const lines: Line[] = [];
  const add = (text: string, cls: Line['cls']) => lines.push({ text, cls });
  switch (n.kind) {
    case 'host':
      add(`${word('host', L)} ${n.name}`, 'title');
      break;
    case 'netns':
      if (n.flavor === 'host') add(word('netnsHost', L), 'title');
      else add(`${word(n.flavor === 'unnamed' ? 'netnsUnnamed' : 'netns', L)} ${n.name}`, 'title');
      break;
    case 'container': {
      const st = n.state ?? '';
      add(`${word('container', L)} ${n.name}`, 'title');
      add(`${n.image ?? ''} · ${word(st, L)}`, st === 'running' ? 'fact' : 'muted');
      if (n.ports?.length)
        add(`${word('ports', L)} ${[...new Set(n.ports.map(shortPort))].join(' ')}`, 'fact');
      if (o.showMounts) for (const m of n.mounts ?? []) add(m, 'fact');
      break;
    }
    case 'bridge':
      add(`${word(n.flavor === 'ovs' ? 'ovs' : 'bridge', L)} ${n.name}`, 'title');
      add(n.state ?? '', 'state');
      break;
    case 'interface':
      add(n.name, 'name');
      add(`${n.flavor ?? ''} ${n.state ?? ''}`.trim(), 'state');
      break;
    case 'volume':
      add(`${word('volume', L)} ${n.name}`, 'title');
      break;
    case 'lan':
      add(word('lan', L), 'title');
      break;
    case 'remote':
      add(`${word('remote', L)} ${n.name}`, 'title');
      break;
  }
  for (const a of n.addrs ?? []) add(a, 'addr');
  if (n.tunnel && n.kind !== 'remote') add(n.tunnel, 'fact');
  if (n.defaultRoute) add(`${word('route', L)} ${n.defaultRoute}`, 'fact');
  for (const f of n.nat ?? []) add(`${f.type} ${f.text}`, 'nat');
  return lines;
}

/** `0.0.0.0:8080→80/tcp` and `:::8080→80/tcp` are one port to the learner: `8080→80/tcp`. */
function shortPort(p: string): string {
  const i = p.lastIndexOf(':', p.indexOf('→'));
  return p.slice(i + 1);
}

const order: NodeKind[] = ['lan', 'remote', 'host', 'netns', 'container', 'bridge', 'interface', 'volume'];
const rank = (n: TopoNode): string =>
  `${order.indexOf(n.kind)}${n.flavor === 'host' ? 0 : 1}${n.kind === 'container' && !n.state?.startsWith('running') ? 1 : 0}${n.name}`;

// The bundle is CommonJS whose module.exports is the constructor (which is what both Node and Vite
// hand a default import); its .d.ts declares an ES default export, which NodeNext reads as the
// module object. So: the runtime value, typed as the constructor it is.
const Elk = ElkBundled as unknown as new () => ELK;
const elk = new Elk();

/** Lays the graph out. The same graph and options give the same picture (ELK is deterministic). */
export async function layoutGraph(g: Graph, o: LayoutOptions): Promise<Layout> {
  const collapsed = o.collapsed ?? new Set<string>();
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const kids = new Map<string, TopoNode[]>();
  for (const n of g.nodes) if (n.parent) kids.set(n.parent, [...(kids.get(n.parent) ?? []), n]);
  const shown = (n: TopoNode): boolean =>
    (o.showLoopback || n.flavor !== 'loopback') && (o.showMounts || n.kind !== 'volume');
  /** The box a node is drawn as: itself, or its nearest closed ancestor. */
  const visible = new Map<string, string>();
  const depth = new Map<string, number>();
  const hiddenCount = new Map<string, number>();
  const walk = (n: TopoNode, closedAt: string | null, d: number): void => {
    if (!shown(n)) return;
    visible.set(n.id, closedAt ?? n.id);
    depth.set(n.id, d);
    if (closedAt) hiddenCount.set(closedAt, (hiddenCount.get(closedAt) ?? 0) + 1);
    const closed = closedAt ?? (collapsed.has(n.id) ? n.id : null);
    for (const c of kids.get(n.id) ?? []) walk(c, closed, d + 1);
  };
  for (const n of g.nodes.filter((n) => !n.parent || !byId.has(n.parent)).sort(cmp)) walk(n, null, 0);

  const lines = new Map<string, Line[]>();
  const toElk = (n: TopoNode): ElkNode => {
    const ls = nodeLines(n, o);
    const hidden = hiddenCount.get(n.id) ?? 0;
    if (hidden) ls.push({ text: `+${hidden} ${word('hidden', o.lang)}`, cls: 'muted' });
    lines.set(n.id, ls);
    // Room for the fold mark (+/−) in the corner of a box that can be closed.
    const fold = (kids.get(n.id) ?? []).some(shown) && n.kind !== 'interface' && n.kind !== 'bridge' ? 22 : 0;
    const w = Math.max(...ls.map((l) => textWidth(l.text))) + 2 * pad + fold;
    const h = ls.length * lineHeight + pad;
    const children =
      visible.get(n.id) === n.id && !collapsed.has(n.id)
        ? (kids.get(n.id) ?? []).filter(shown).sort(cmp)
        : [];
    if (!children.length) return { id: n.id, width: Math.max(w, 60), height: h };
    return {
      id: n.id,
      layoutOptions: {
        'elk.padding': `[top=${h + pad},left=${pad},bottom=${pad},right=${pad}]`,
        'elk.nodeSize.constraints': '[MINIMUM_SIZE]',
        // HACK: with direction DOWN and INCLUDE_CHILDREN, elkjs 0.11 applies a compound node's
        // minimum size without rotating it (seen: boxes as wide as the header was tall, and as tall
        // as it was wide), so it is given here as (height, width).
        'elk.nodeSize.minimum': `(${h + 2 * pad},${w})`,
      },
      children: children.map(toElk),
    };
  };
  const roots = g.nodes.filter((n) => (!n.parent || !byId.has(n.parent)) && shown(n)).sort(cmp);
  const edges: ElkExtendedEdge[] = [];
  const seen = new Set<string>();
  for (const e of g.edges) {
    const a = visible.get(e.a);
    const b = visible.get(e.b);
    if (!a || !b || a === b) continue; // hidden, or folded into one closed box
    if (e.kind === 'mount' && !o.showMounts) continue;
    const id = a === e.a && b === e.b ? e.id : `${e.kind}:${a}|${b}`;
    if (seen.has(id)) continue;
    seen.add(id);
    edges.push({ id, sources: [a], targets: [b] });
  }
  const kinds = new Map(g.edges.map((e) => [e.id, e]));
  const root: ElkNode = {
    id: '__root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.spacing.nodeNode': '14',
      'elk.layered.spacing.nodeNodeBetweenLayers': '36',
      'elk.spacing.edgeNode': '10',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.thoroughness': '2',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
    },
    children: roots.map(toElk),
    edges,
  };
  const out = await elk.layout(root);
  const boxes: Box[] = [];
  const visit = (e: ElkNode): void => {
    const n = byId.get(e.id);
    if (!n) return; // a header placeholder: read by its box below
    const header = e.children?.find((c) => c.id === `${n.id}${headerSuffix}`);
    const hasKids = (kids.get(n.id) ?? []).some(shown);
    boxes.push({
      id: n.id,
      kind: n.kind,
      ...(n.state ? { state: n.state } : {}),
      ...(n.flavor ? { flavor: n.flavor } : {}),
      x: e.x ?? 0,
      y: e.y ?? 0,
      hx: header ? (header.x ?? 0) - (e.x ?? 0) : 0,
      hy: header ? (header.y ?? 0) - (e.y ?? 0) : 0,
      w: e.width ?? 0,
      h: e.height ?? 0,
      compound: !!header,
      collapsible: hasKids && n.kind !== 'interface' && n.kind !== 'bridge',
      collapsed: collapsed.has(n.id),
      hidden: hiddenCount.get(n.id) ?? 0,
      depth: depth.get(n.id) ?? 0,
      lines: lines.get(n.id) ?? [],
    });
    for (const c of e.children ?? []) visit(c);
  };
  for (const c of out.children ?? []) visit(c);
  const wires: Wire[] = (out.edges ?? []).map((e) => {
    const orig = kinds.get(e.id);
    const [a, b] = [e.sources[0]!, e.targets[0]!];
    const kind = orig?.kind ?? (e.id.split(':')[0] as EdgeKind);
    const points: [number, number][] = [];
    for (const s of e.sections ?? []) {
      points.push([s.startPoint.x, s.startPoint.y]);
      for (const p of s.bendPoints ?? []) points.push([p.x, p.y]);
      points.push([s.endPoint.x, s.endPoint.y]);
    }
    return { id: e.id, kind, a, b, points };
  });
  return { width: out.width ?? 0, height: out.height ?? 0, boxes, wires };
}

function cmp(a: TopoNode, b: TopoNode): number {
  const x = rank(a);
  const y = rank(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
