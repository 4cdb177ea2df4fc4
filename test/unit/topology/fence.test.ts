/**
 * A lesson's ```topology block: what it parses to, what the lesson parser reports about a bad one
 * (with file:line), and the part of a recorded graph it shows.
 */
import { describe, expect, it } from 'vitest';
import { parseTopologyFence } from '../../../engine/topology/fence.ts';
import { parseLesson } from '../../../engine/lessons/parse.ts';
import { lintSource } from '../../../engine/lessons/lint.ts';
import { checkCatalog } from '../../../engine/lessons/catalog.ts';
import { focusGraph } from '../../../engine/topology/focus.ts';
import { labGraph } from '../../../engine/topology/graph.ts';
import { recorded } from './states.ts';

describe('parseTopologyFence', () => {
  const rows: [string, string, { show: string[]; host?: string }][] = [
    ['names of any kind', 'show: ns1 ns2', { show: ['ns1', 'ns2'] }],
    [
      'kinds, commas, a comment',
      'netns: ns1, ns2  # the two rooms\nbridge: docker0',
      {
        show: ['netns:ns1', 'netns:ns2', 'bridge:docker0'],
      },
    ],
    ['one VM of two', 'container: box\nhost: host2', { show: ['container:box'], host: 'host2' }],
    ['blank lines and a comment line', '\n# what step 3 is about\nshow: veth-ns1\n', { show: ['veth-ns1'] }],
  ];
  for (const [name, text, fence] of rows)
    it(`reads ${name}`, () => expect(parseTopologyFence(text)).toEqual({ fence, problems: [] }));

  const bad: [string, string, number, RegExp][] = [
    ['an empty block', '', 1, /names nothing to show/],
    ['a line that is not key: names', 'ns1 ns2', 1, /`ns1 ns2` is not `key: names`/],
    ['an unknown key', 'show: ns1\nnamespace: ns2', 2, /unknown key `namespace`.*/],
    ['a key with no names', 'bridge:', 1, /`bridge:` names nothing/],
    ['a name with a slash', 'show: ns1/veth', 1, /`ns1\/veth` does not look like a name/],
    ['two hosts', 'show: ns1\nhost: host1 host2', 2, /is not one VM name/],
    ['too many names', 'show: a b c d e f g', 1, /names 7 things; a small diagram shows at most 6/],
  ];
  for (const [name, text, line, what] of bad)
    it(`refuses ${name}, on the line it is on`, () => {
      const { problems } = parseTopologyFence(text);
      expect(problems).toEqual([expect.objectContaining({ line, what: expect.stringMatching(what) })]);
      expect(problems[0]!.fix).not.toBe('');
    });
});

describe('a topology block in a lesson file', () => {
  const lesson = (block: string, hosts = 1) => `---
id: 99-x
title: 测试
chapter: 99
hosts: ${hosts}
minutes: 5
prerequisites: []
---

引言。

## 一步

看图：

\`\`\`topology
${block}
\`\`\`

\`\`\`check
- netns: { name: ns1 }
\`\`\`

\`\`\`hint
提示。
\`\`\`

\`\`\`solution
ip netns add ns1
\`\`\`

## 小结

完。
`;

  it('stays in the step text the learner reads, and is no problem', () => {
    const p = parseLesson(lesson('netns: ns1 ns2'), 'lessons/99-x.md');
    expect(p.problems).toEqual([]);
    expect(p.lesson.steps[0]!.body).toContain('```topology\nnetns: ns1 ns2\n```');
  });

  it('a bad line is reported at its file:line with the fix', () => {
    const p = parseLesson(lesson('netns: ns1\nbridge docker0'), 'lessons/99-x.md');
    // The fence is on line 16, its content from line 17.
    expect(p.problems).toEqual([
      {
        file: 'lessons/99-x.md',
        line: 18,
        what: 'topology block: `bridge docker0` is not `key: names`',
        fix: expect.stringContaining('`bridge: docker0`'),
      },
    ]);
  });

  it('lint: a misspelt ```topolgy is named where it is (it would show as code)', async () => {
    const src = lesson('netns: ns1').replace('```topology', '```topolgy');
    const { problems } = lintSource(src, 'lessons/99-x.md', await checkCatalog());
    expect(problems).toContainEqual(
      expect.objectContaining({
        line: 16,
        what: 'unknown fence name ```topolgy — did you mean ```topology?',
      }),
    );
  });

  it('a host the lesson does not have is reported; one it has is fine', () => {
    const one = parseLesson(lesson('show: br0\nhost: host2'), 'lessons/99-x.md');
    expect(one.problems).toEqual([
      expect.objectContaining({
        line: 18,
        what: 'topology block draws `host2`, which this lesson does not have',
      }),
    ]);
    expect(parseLesson(lesson('show: br0\nhost: host2', 2), 'lessons/99-x.md').problems).toEqual([]);
  });
});

describe('what a block shows of a recorded lab (focusGraph with kinds)', () => {
  it('lesson 16: `container: box` and `bridge: docker0` — the container, its veth port, the bridge', () => {
    const g = labGraph({ host1: recorded('docker') });
    const part = focusGraph(g, ['container:web', 'bridge:docker0']);
    const ids = new Set(part.nodes.map((n) => n.id));
    expect(ids.has('host1/ctr:web/if:eth0')).toBe(true);
    expect(ids.has('host1/ns:host/if:docker0')).toBe(true);
    const wire = part.edges.find((e) => e.kind === 'veth' && e.a === 'host1/ctr:web/if:eth0');
    const port = wire?.b;
    expect(port).toMatch(/^host1\/ns:host\/if:veth[0-9a-f]{7}$/);
    expect(part.edges).toContainEqual(expect.objectContaining({ kind: 'bridge-port', a: port }));
    // Other containers' boxes are not drawn (their ports on docker0 are, one hop from the bridge).
    expect(ids.has('host1/ctr:dc1')).toBe(false);
  });

  it('a kind picks only that kind: `bridge: web` finds nothing, `netns: host` the host namespace', () => {
    const g = labGraph({ host1: recorded('docker') });
    expect(focusGraph(g, ['bridge:web']).nodes).toEqual([]);
    expect(focusGraph(g, ['netns:host']).nodes.map((n) => n.id)).toContain('host1/ns:host/if:docker0');
  });

  it('before anything named exists: an empty graph (the block says so instead of drawing)', () => {
    expect(focusGraph(labGraph({ host1: recorded('bare') }), ['netns:ns1', 'netns:ns2'])).toEqual({
      nodes: [],
      edges: [],
    });
  });
});
