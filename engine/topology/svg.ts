/**
 * Layout → an SVG element tree, plain data: the CLI serialises it to a string (`svgString`, every
 * text and attribute escaped), the browser builds DOM nodes from it with `textContent` and
 * `setAttribute` (web/topology-dom.ts), so names from the guest are never parsed as markup.
 * Builds under both tsconfigs.
 */
import { fontPx, lineHeight, type Line } from './labels.ts';
import type { Box, Layout, Wire } from './layout.ts';

export interface SvgEl {
  tag: string;
  attrs: Record<string, string>;
  children?: SvgEl[];
  text?: string;
}

export interface SceneOptions {
  /** Ids to draw highlighted (the objects a failed check names, or a change points at). */
  highlight?: ReadonlySet<string>;
  /** Accessible title of the whole picture. */
  title: string;
  /** Embed the stylesheet (for a standalone file); the web panel styles it from its own CSS. */
  standalone?: boolean;
  /**
   * The page makes boxes focusable buttons: the picture is then a `group` (an `img` hides its
   * children from screen readers). A file stays an `img`.
   */
  interactive?: boolean;
}

const el = (tag: string, attrs: Record<string, string>, children?: SvgEl[], text?: string): SvgEl => ({
  tag,
  attrs,
  ...(children ? { children } : {}),
  ...(text !== undefined ? { text } : {}),
});

function stateClass(b: Box): string {
  const s = b.state ?? '';
  if (s === 'UP' || s === 'running') return 'up';
  if (s === 'DOWN' || s === 'exited' || s === 'dead') return 'down';
  if (s === 'NO-CARRIER') return 'nocarrier';
  return 'other';
}

function boxEl(b: Box, o: SceneOptions): SvgEl {
  const cls = [
    'box',
    `k-${b.kind}`,
    b.flavor ? `f-${b.flavor}` : '',
    `s-${stateClass(b)}`,
    b.compound ? 'compound' : 'leaf',
    b.collapsed ? 'collapsed' : '',
    o.highlight?.has(b.id) ? 'hl' : '',
  ]
    .filter(Boolean)
    .join(' ');
  const texts = b.lines.map((l: Line, i) =>
    el('text', { x: '8', y: r((i + 1) * lineHeight), class: `t-${l.cls}` }, undefined, l.text),
  );
  const attrs: Record<string, string> = {
    class: cls,
    'data-id': b.id,
    transform: `translate(${r(b.x)},${r(b.y)})`,
  };
  if (b.collapsible) attrs['data-collapsible'] = b.collapsed ? 'closed' : 'open';
  return el('g', attrs, [
    el('rect', { width: r(b.w), height: r(b.h), rx: b.kind === 'interface' ? '4' : '8' }),
    ...(b.collapsible
      ? [
          el(
            'text',
            { x: r(b.w - 14), y: '14', class: 't-fold', 'aria-hidden': 'true' },
            undefined,
            b.collapsed ? '+' : '−',
          ),
        ]
      : []),
    ...texts,
  ]);
}

function wireEl(w: Wire, o: SceneOptions): SvgEl {
  const d = w.points.map(([x, y], i) => `${i ? 'L' : 'M'}${r(x)},${r(y)}`).join(' ');
  const hl = o.highlight?.has(w.a) || o.highlight?.has(w.b);
  return el('path', {
    d,
    class: `wire w-${w.kind}${hl ? ' hl' : ''}`,
    'data-id': w.id,
    'data-a': w.a,
    'data-b': w.b,
  });
}

/** The picture: boxes outermost first (so inner ones are drawn on top), then wires over them. */
export function scene(l: Layout, o: SceneOptions): SvgEl {
  const boxes = [...l.boxes].sort((a, b) => a.depth - b.depth);
  const children: SvgEl[] = [el('title', {}, undefined, o.title)];
  if (o.standalone) children.push(el('style', {}, undefined, standaloneCss));
  children.push(
    el(
      'g',
      { class: 'boxes' },
      boxes.map((b) => boxEl(b, o)),
    ),
  );
  children.push(
    el(
      'g',
      { class: 'wires' },
      l.wires.map((w) => wireEl(w, o)),
    ),
  );
  return el(
    'svg',
    {
      xmlns: 'http://www.w3.org/2000/svg',
      viewBox: `0 0 ${r(l.width)} ${r(l.height)}`,
      width: r(l.width),
      height: r(l.height),
      role: o.interactive ? 'group' : 'img',
      'aria-label': o.title,
      class: 'topology',
      'font-size': String(fontPx),
    },
    children,
  );
}

const r = (n: number): string => String(Math.round(n * 10) / 10);

const escText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escAttr = (s: string): string => escText(s).replace(/"/g, '&quot;');

export function svgString(e: SvgEl): string {
  const attrs = Object.entries(e.attrs)
    .map(([k, v]) => ` ${k}="${escAttr(v)}"`)
    .join('');
  const inner = (e.text !== undefined ? escText(e.text) : '') + (e.children ?? []).map(svgString).join('');
  return `<${e.tag}${attrs}>${inner}</${e.tag}>`;
}

/**
 * The dark theme, shared: the CLI embeds it, the web panel adopts it (so the two pictures agree).
 * Colours: UP green, DOWN red, NO-CARRIER amber; wires by kind.
 */
export const topologyCss = `
.topology { font-family: ui-monospace, 'DejaVu Sans Mono', 'Noto Sans Mono CJK SC', monospace; background: #14171c; }
.topology .box > rect { fill: #1d2229; stroke: #3a4350; stroke-width: 1; }
.topology .k-host > rect { fill: #171b21; stroke: #56606e; stroke-width: 1.5; }
.topology .k-netns > rect { fill: #1b2430; stroke: #4a7ab0; stroke-dasharray: 6 3; }
.topology .k-netns.f-host > rect { fill: #19212b; stroke: #6b8fb8; stroke-dasharray: none; }
.topology .k-container > rect { fill: #1c2a26; stroke: #3f9a7c; }
.topology .k-container.s-down > rect { fill: #241d1f; stroke: #7a5058; stroke-dasharray: 4 3; }
.topology .k-bridge > rect { fill: #2a2433; stroke: #a07ad0; stroke-width: 1.5; }
.topology .k-interface > rect { fill: #232a33; }
.topology .k-interface.s-up > rect { stroke: #4caf6e; }
.topology .k-interface.s-down > rect { stroke: #d05a5a; }
.topology .k-interface.s-nocarrier > rect { stroke: #d0a040; stroke-dasharray: 3 2; }
.topology .k-volume > rect { fill: #2a2a20; stroke: #a09a50; }
.topology .k-lan > rect, .topology .k-remote > rect { fill: #222; stroke: #9aa4b0; stroke-width: 2; }
.topology text { fill: #d8dee6; white-space: pre; }
.topology .t-title { font-weight: 600; fill: #eef2f6; }
.topology .t-name { font-weight: 600; fill: #eef2f6; }
.topology .t-state { fill: #9aa4b0; }
.topology .s-up .t-state { fill: #6fd08f; }
.topology .s-down .t-state { fill: #f07a7a; }
.topology .s-nocarrier .t-state { fill: #e8bd5a; }
.topology .t-addr { fill: #8cc8ff; }
.topology .t-fact { fill: #b8c2cc; }
.topology .t-nat { fill: #f0a8e0; }
.topology .t-muted { fill: #8a939c; }
.topology .t-fold { fill: #9aa4b0; font-weight: 700; }
.topology .wire { fill: none; stroke-width: 2; }
.topology .w-veth { stroke: #4fc3f7; stroke-width: 2.5; }
.topology .w-bridge-port { stroke: #a07ad0; }
.topology .w-tunnel { stroke: #f0a040; stroke-dasharray: 8 4; stroke-width: 2.5; }
.topology .w-macvlan { stroke: #80cbc4; stroke-dasharray: 2 3; }
.topology .w-lan { stroke: #9aa4b0; stroke-width: 3; }
.topology .w-shares-netns { stroke: #3f9a7c; stroke-dasharray: 2 4; }
.topology .w-mount { stroke: #a09a50; stroke-dasharray: 2 4; }
.topology .hl > rect { stroke: #ff5c8a; stroke-width: 3; }
.topology .wire.hl { stroke: #ff5c8a; stroke-width: 3.5; }
`;

const standaloneCss = topologyCss;
