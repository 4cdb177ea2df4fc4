/**
 * A lesson's small live diagram: a fenced `topology` block in its Markdown, naming what to show.
 *
 * ````markdown
 * ```topology
 * netns: ns1 ns2
 * ```
 * ````
 *
 * One `key: names` per line: `show:` names of any kind, `netns:`, `bridge:` or `container:` names
 * of that kind only (`host` is the host's own namespace), and `host: host2` to draw one VM of a
 * two-host lab (default: every VM). `#` starts a comment. Parsed here for the linter
 * (engine/lessons/parse.ts, with file:line) and for the page's Markdown renderer (web/markdown.ts),
 * so both read it the same way. Builds under both tsconfigs.
 */

/** What a `topology` block asks for. */
export interface TopologyFence {
  /** Names to show, each `name` (any kind) or `kind:name` (see `fenceKinds`). */
  show: string[];
  /** One VM of the lab, or undefined for all of them. */
  host?: string;
}

/** A problem with a block, at `line` (1-based, counted from the block's first content line). */
export interface FenceProblem {
  line: number;
  what: string;
  fix: string;
}

/** The keys that name what to show, and the node kind each one picks (`show`: any). */
export const fenceKinds = { show: '', netns: 'netns', bridge: 'bridge', container: 'container' } as const;
/** More than this and the small diagram is the whole panel again: use the panel instead. */
export const maxFenceNames = 6;
/** Names of namespaces, links, bridges and containers (ip and Docker allow no spaces, no `:`). */
const nameRe = /^[A-Za-z0-9_.@-]{1,64}$/;
const hostRe = /^host[1-9]$/;

const usage = 'write e.g. `netns: ns1 ns2`, `bridge: docker0` or `show: box docker0`, one per line';

export function parseTopologyFence(text: string): { fence: TopologyFence; problems: FenceProblem[] } {
  const show: string[] = [];
  let host: string | undefined;
  const problems: FenceProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const content = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!content) return;
    const m = /^([a-z]+)\s*:\s*(.*)$/.exec(content);
    if (!m) {
      problems.push({ line, what: `topology block: \`${content}\` is not \`key: names\``, fix: usage });
      return;
    }
    const [, key = '', value = ''] = m;
    const names = value.split(/[\s,]+/).filter(Boolean);
    if (key === 'host') {
      if (names.length !== 1 || !hostRe.test(names[0]!))
        problems.push({
          line,
          what: `topology block: \`host: ${value}\` is not one VM name`,
          fix: 'write `host: host1` or `host: host2`, or leave the line out to draw every VM',
        });
      else host = names[0];
      return;
    }
    if (!(key in fenceKinds)) {
      problems.push({
        line,
        what: `topology block: unknown key \`${key}\``,
        fix: `use one of ${[...Object.keys(fenceKinds), 'host'].map((k) => `\`${k}:\``).join(', ')}`,
      });
      return;
    }
    if (!names.length) problems.push({ line, what: `topology block: \`${key}:\` names nothing`, fix: usage });
    const kind = fenceKinds[key as keyof typeof fenceKinds];
    for (const n of names) {
      if (!nameRe.test(n))
        problems.push({
          line,
          what: `topology block: \`${n}\` does not look like a name`,
          fix: 'name a namespace, bridge, container or interface as `ip` or `docker` shows it (letters, digits, `_ . @ -`)',
        });
      else show.push(kind ? `${kind}:${n}` : n);
    }
  });
  if (!show.length && !problems.length)
    problems.push({ line: 1, what: 'topology block names nothing to show', fix: usage });
  if (show.length > maxFenceNames)
    problems.push({
      line: 1,
      what: `topology block names ${show.length} things; a small diagram shows at most ${maxFenceNames}`,
      fix: 'name fewer (what the step is about), or point the learner at the 网络拓扑图 panel',
    });
  return { fence: host ? { show, host } : { show }, problems };
}
