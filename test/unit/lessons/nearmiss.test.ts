// Near-miss blocks (```wrong, ```ok): how they are parsed into cases, kept from learners, and linted;
// and misspelt fence names reported where they are.
import { describe, expect, it } from 'vitest';
import { lintSource, type CheckCatalog } from '../../../engine/lessons/lint.ts';
import { formatProblem } from '../../../engine/lessons/problem.ts';
import { editDistance, nearest } from '../../../engine/lessons/suggest.ts';

const catalog: CheckCatalog = { has: (k) => k === 'netns', validate: () => [] };

const fm = (hosts = 1) =>
  `---\nid: 01-demo\ntitle: 演示\nchapter: 1\nhosts: ${hosts}\nminutes: 5\nprerequisites: []\n---\n`;

/** A lesson with one step whose blocks after the check are `blocks`. */
const lesson = (blocks: string, hosts = 1) =>
  `${fm(hosts)}\n简介。\n\n## 第一步\n\n说明。\n\n\`\`\`check\n- netns: { name: ns1 }\n\`\`\`\n\n\`\`\`hint\n提示\n\`\`\`\n\n${blocks}\n## 小结\n\n完成。\n`;

const solution = '```solution\nip netns add ns1\n```\n';

function lint(src: string, requireWrong = false) {
  const r = lintSource(src, 'lessons/01-demo.md', catalog, { requireWrong });
  return { lesson: r.parsed.lesson, problems: r.problems.map(formatProblem) };
}

describe('near-miss blocks', () => {
  it('parses wrong and ok blocks into cases, with the comment, host and line, and keeps them out of the body', () => {
    const src = lesson(
      `${solution}\n\`\`\`wrong\n# 名字拼错了\nip netns add ns01\n\`\`\`\n\n\`\`\`ok\n# 用 unshare 和 mount 也能做出一个命名空间\ntouch /run/netns/ns1\n\`\`\`\n`,
    );
    const { lesson: l, problems } = lint(src);
    expect(problems).toEqual([]);
    const step = l.steps[0]!;
    expect(step.cases).toEqual([
      { role: 'wrong', why: '名字拼错了', scripts: { host1: '# 名字拼错了\nip netns add ns01' }, line: 28, lines: { host1: 28 } },
      {
        role: 'ok',
        why: '用 unshare 和 mount 也能做出一个命名空间',
        scripts: { host1: '# 用 unshare 和 mount 也能做出一个命名空间\ntouch /run/netns/ns1' },
        line: 33,
        lines: { host1: 33 },
      },
    ]);
    expect(step.body).toBe('说明。');
    expect(step.solution).toEqual({ host1: 'ip netns add ns1' });
  });

  it('joins consecutive blocks of one role with distinct hosts into one case; a repeated host or another role starts a new one', () => {
    const src = lesson(
      [
        solution,
        '```wrong\n# 只在 host1 上建了\nip netns add ns1\n```\n\n```wrong host2\ntrue\n```\n',
        '```wrong host2\n# 只在 host2 上建了\nip netns add ns1\n```\n',
        '```wrong host2\n# 又一个\nip netns add x\n```\n',
        '```ok host2\n# host2 先做\ntrue\n```\n```ok\nip netns add ns1\n```\n',
      ].join('\n'),
      2,
    );
    const { lesson: l, problems } = lint(src);
    expect(problems).toEqual([]);
    expect(l.steps[0]!.cases.map((c) => [c.role, c.why, Object.keys(c.scripts)])).toEqual([
      ['wrong', '只在 host1 上建了', ['host1', 'host2']],
      ['wrong', '只在 host2 上建了', ['host2']],
      ['wrong', '又一个', ['host2']],
      ['ok', 'host2 先做', ['host2', 'host1']],
    ]);
  });

  it('prose between two blocks ends a case', () => {
    const src = lesson(`${solution}\n\`\`\`wrong\n# 一\ntrue\n\`\`\`\n\n一句话。\n\n\`\`\`wrong host2\n# 二\ntrue\n\`\`\`\n`, 2);
    expect(lint(src).lesson.steps[0]!.cases.map((c) => c.why)).toEqual(['一', '二']);
  });

  it('requires a # comment on the first line of a wrong and an ok block, and a command after it', () => {
    const src = lesson(`${solution}\n\`\`\`wrong\nip netns add ns01\n\`\`\`\n\n\`\`\`ok\n#!/bin/bash\ntrue\n\`\`\`\n\n\`\`\`wrong\n# 什么也没做\n\`\`\`\n`);
    expect(lint(src).problems.map((p) => p.split(' — ')[0])).toEqual([
      'lessons/01-demo.md:28: this ```wrong block does not start with a `#` comment',
      'lessons/01-demo.md:32: this ```ok block does not start with a `#` comment',
      'lessons/01-demo.md:37: this ```wrong block has no command',
    ]);
  });

  it('reports a block for a host the lesson lacks', () => {
    const src = lesson(`${solution}\n\`\`\`wrong host2\n# 在另一台上\nip netns add ns1\n\`\`\`\n`);
    expect(lint(src).problems.map((p) => p.split(' — ')[0])).toEqual(['lessons/01-demo.md:28: a ```wrong block for host `host2`']);
  });

  it('requires a wrong block per step only when asked', () => {
    const src = lesson(solution);
    expect(lint(src).problems).toEqual([]);
    expect(lint(src, true).problems).toEqual([
      "lessons/01-demo.md:12: step \"第一步\" has no ```wrong block — add a learner's plausible wrong attempt in a ```wrong block, its first line a `#` comment saying why it is wrong (see docs/authoring.md)",
    ]);
    const ok = lesson(`${solution}\n\`\`\`ok\n# 另一种写法\nip netns add ns1\n\`\`\`\n`);
    expect(lint(ok, true).problems).toHaveLength(1);
  });

  it('reports a near-miss block in the intro or the summary, where learners would see it', () => {
    const src = lesson(solution)
      .replace('简介。', '简介。\n\n```wrong\n# x\ntrue\n```')
      .replace('完成。', '完成。\n\n```ok\n# y\ntrue\n```');
    expect(lint(src).problems.map((p) => p.split(' — ')[0])).toEqual([
      'lessons/01-demo.md:12: a ```wrong block outside any step',
      'lessons/01-demo.md:37: a ```ok block outside any step',
    ]);
  });
});

describe('misspelt fence names', () => {
  it('points at a misspelt solution instead of reporting a missing one', () => {
    const src = lesson('```solutoin\nip netns add ns1\n```\n');
    expect(lint(src).problems).toEqual([
      'lessons/01-demo.md:24: unknown fence name ```solutoin — did you mean ```solution? — write ```solution: as it is, the block is shown to learners as code',
    ]);
  });

  it('suggests wrong for wrnog, ok for Ok and check for chekc, and leaves languages alone', () => {
    const src = lesson(`${solution}\n\`\`\`wrnog\n# x\ntrue\n\`\`\`\n\n\`\`\`Ok\n# y\ntrue\n\`\`\`\n\n\`\`\`sh\nls\n\`\`\`\n\n\`\`\`go\nx\n\`\`\`\n\n\`\`\`dockerfile\nFROM busybox\n\`\`\`\n`);
    expect(lint(src).problems.map((p) => p.split(' — ')[0])).toEqual([
      'lessons/01-demo.md:28: unknown fence name ```wrnog',
      'lessons/01-demo.md:33: unknown fence name ```Ok',
    ]);
    expect(nearest('chekc', ['check', 'hint'])).toBe('check');
    expect(nearest('json', ['check', 'hint', 'ok'])).toBeUndefined();
    expect(editDistance('wrnog', 'wrong')).toBe(1);
    expect(editDistance('', 'ok')).toBe(2);
  });
});
