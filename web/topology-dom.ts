/**
 * The SVG scene of engine/topology/svg.ts as DOM nodes. Text goes in with `textContent` and
 * attributes with `setAttribute`, so names from the guest are never parsed as markup.
 */
import type { SvgEl } from '../engine/topology/svg.ts';

const ns = 'http://www.w3.org/2000/svg';

export function toDom(e: SvgEl): SVGElement {
  const node = document.createElementNS(ns, e.tag) as SVGElement;
  for (const [k, v] of Object.entries(e.attrs)) if (k !== 'xmlns') node.setAttribute(k, v);
  if (e.text !== undefined) node.textContent = e.text;
  for (const c of e.children ?? []) node.appendChild(toDom(c));
  return node;
}
