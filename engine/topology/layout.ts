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
import { lineHeight, nodeLines, textWidth, word, type Lang, type Line } from './labels.ts';

export { fontPx, lineHeight, nodeLines, textWidth, word, type Lang, type Line } from './labels.ts';

/** Padding inside a box, px. */
const pad = 8;

export interface LayoutOptions {
  lang: Lang;
  /** Compound nodes (hosts, namespaces, containers) drawn closed, as one box with a count. */
  collapsed?: ReadonlySet<string>;
  /** Loopback interfaces (every namespace has one; they say little). Default: hidden. */
  showLoopback?: boolean;
  /** Mounts on container boxes, and volumes with their mount wires. Default: hidden. */
  showMounts?: boolean;
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
    const hasKids = (kids.get(n.id) ?? []).some(shown);
    boxes.push({
      id: n.id,
      kind: n.kind,
      ...(n.state ? { state: n.state } : {}),
      ...(n.flavor ? { flavor: n.flavor } : {}),
      x: e.x ?? 0,
      y: e.y ?? 0,
      w: e.width ?? 0,
      h: e.height ?? 0,
      compound: !!e.children?.length,
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
