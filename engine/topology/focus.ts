/**
 * A part of the graph, for a small diagram in a lesson's text (a fenced `topology` block naming
 * what to show, e.g. `ns1 ns2` or `docker0`): the named namespaces, containers, bridges or
 * interfaces with what is inside them, what their wires reach, and the boxes around all that.
 * Builds under both tsconfigs.
 */
import type { Graph, TopoNode } from './types.ts';

/**
 * `names`: node names (`ns1`, `web`, `docker0`, `veth-ns1`), each maybe with the kind it must be
 * (`netns:ns1`, `bridge:docker0`, `container:box`: see fence.ts); `host` (or `netns:host`) means the
 * host's namespace.
 */
export function focusGraph(g: Graph, names: string[]): Graph {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const picks = names.map((s) => {
    const at = s.indexOf(':');
    return at < 0 ? { kind: '', name: s } : { kind: s.slice(0, at), name: s.slice(at + 1) };
  });
  const picked = (n: TopoNode): boolean =>
    picks.some(
      (p) =>
        (p.kind === '' || p.kind === n.kind) &&
        ((n.kind !== 'host' && n.kind !== 'lan' && n.kind !== 'remote' && p.name === n.name) ||
          (n.kind === 'netns' && n.flavor === 'host' && p.name === 'host')),
    );
  const wanted = new Set(g.nodes.filter(picked).map((n) => n.id));
  // What is inside the named boxes.
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of g.nodes)
      if (n.parent && wanted.has(n.parent) && !wanted.has(n.id)) {
        wanted.add(n.id);
        grew = true;
      }
  }
  // What their wires reach (one hop), then every enclosing box.
  const keep = new Set(wanted);
  for (const e of g.edges) {
    if (wanted.has(e.a)) keep.add(e.b);
    if (wanted.has(e.b)) keep.add(e.a);
  }
  for (const id of [...keep]) {
    let p = byId.get(id)?.parent;
    while (p && !keep.has(p)) {
      keep.add(p);
      p = byId.get(p)?.parent;
    }
  }
  return {
    nodes: g.nodes.filter((n) => keep.has(n.id)),
    edges: g.edges.filter((e) => keep.has(e.a) && keep.has(e.b)),
  };
}
