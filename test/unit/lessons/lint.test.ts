import { describe, expect, it } from 'vitest';
import { lintSource, lintCourse, type CheckCatalog } from '../../../engine/lessons/lint.ts';
import { formatProblem } from '../../../engine/lessons/problem.ts';

// A stand-in for engine/checks: two kinds, and `netns` wants a `name`.
const catalog: CheckCatalog = {
  has: (k) => k === 'netns' || k === 'shell',
  validate: (k, p) => (k === 'netns' && !(p && typeof p === 'object' && 'name' in p) ? ['`name` is required'] : []),
};

const fm = (extra = '', hosts = 1) =>
  `---\nid: 01-demo\ntitle: 演示\nchapter: 1\nhosts: ${hosts}\nminutes: 5\nprerequisites: []\n${extra}---\n`;

const step = (check = '- netns: { name: ns1 }', more = '```hint\n试试 ip netns add\n```\n\n```solution\nip netns add ns1\n```\n') =>
  `## 第一步\n\n说明。\n\n\`\`\`check\n${check}\n\`\`\`\n\n${more}`;

const good = `${fm()}\n简介。\n\n${step()}\n## 小结\n\n完成。\n`;

function lint(src: string, file = 'lessons/01-demo.md') {
  return lintSource(src, file, catalog).problems.map(formatProblem);
}

describe('lesson lint', () => {
  it('accepts a well-formed lesson and parses its parts', () => {
    const r = lintSource(good, 'lessons/01-demo.md', catalog);
    expect(r.problems).toEqual([]);
    const l = r.parsed.lesson;
    expect(l.intro).toBe('简介。');
    expect(l.summary).toBe('完成。');
    expect(l.steps).toHaveLength(1);
    expect(l.steps[0]?.check).toEqual([{ kind: 'netns', params: { name: 'ns1' }, line: 17 }]);
    expect(l.steps[0]?.solution).toEqual({ host1: 'ip netns add ns1' });
    expect(l.steps[0]?.body).toBe('说明。');
    expect(l.steps[0]?.line).toBe(12);
  });

  it('reports a missing front-matter field with the fix', () => {
    const src = good.replace('minutes: 5\n', '');
    expect(lint(src)).toEqual(['lessons/01-demo.md:1: front matter lacks `minutes` — add `minutes:` — about how long the lesson takes, a whole number']);
  });

  it('reports an unknown field and a wrong id on their lines', () => {
    const src = good.replace('id: 01-demo', 'id: 01-other').replace('title: 演示', 'title: 演示\nauthor: x');
    const out = lint(src);
    expect(out).toContain('lessons/01-demo.md:2: id `01-other` does not match the file name — set `id: 01-demo` or rename the file');
    expect(out.some((l) => l.startsWith('lessons/01-demo.md:4: unknown front-matter field `author`'))).toBe(true);
  });

  it('reports an unknown check kind and bad parameters on the condition line', () => {
    const out = lint(good.replace('- netns: { name: ns1 }', '- netns: { nom: ns1 }\n- vethh: {}'));
    expect(out).toEqual([
      'lessons/01-demo.md:17: bad parameters for `netns`: `name` is required — see the parameters of this kind in docs/checks.md',
      'lessons/01-demo.md:18: unknown check kind `vethh` — use a kind listed in docs/checks.md, or `shell` as a last resort',
    ]);
  });

  it('reports a step without hint or solution', () => {
    const out = lint(`${fm()}\n${step('- netns: { name: ns1 }', '')}\n## 小结\n\n完。\n`);
    expect(out.map((l) => l.split(' — ')[0])).toEqual([
      'lessons/01-demo.md:10: step "第一步" has no hint',
      'lessons/01-demo.md:10: step "第一步" has no reference solution',
    ]);
  });

  it('reports invalid YAML inside a check block', () => {
    const out = lint(good.replace('- netns: { name: ns1 }', '- netns: { name: ns1'));
    expect(out[0]).toMatch(/^lessons\/01-demo.md:17: check block is not valid YAML/);
  });

  it('reports hosts beyond the lesson in conditions, solutions and setup', () => {
    const src = good
      .replace('- netns: { name: ns1 }', '- netns: { name: ns1, host: host2 }')
      .replace('```solution\n', '```solution host3\n')
      .replace('prerequisites: []\n', 'prerequisites: []\nsetup:\n  host2: "true"\n');
    const out = lint(src).map((l) => l.split(' — ')[0]);
    expect(out).toEqual([
      'lessons/01-demo.md:8: setup names host `host2`, which this lesson does not have',
      'lessons/01-demo.md:14: step "第一步" has a solution for host `host3`',
      'lessons/01-demo.md:19: condition on host `host2`, which this lesson does not have',
    ]);
  });

  it('accepts host2 when the lesson has two hosts', () => {
    const src = `${fm('', 2)}\n${step('- netns: { name: ns1, host: host2 }', '```hint\nh\n```\n\n```solution host2\nip netns add ns1\n```\n')}\n## 小结\n\n完。\n`;
    const r = lintSource(src, 'lessons/01-demo.md', catalog);
    expect(r.problems).toEqual([]);
    expect(r.parsed.lesson.steps[0]?.solution).toEqual({ host2: 'ip netns add ns1' });
  });

  it('reports a broken relative link but not web links or anchors', () => {
    const src = good.replace('简介。', '见 [检查](../docs/nowhere.md)、[网站](https://example.org) 和 [上文](#x)。');
    expect(lint(src).map((l) => l.split(' — ')[0])).toEqual(['lessons/01-demo.md:10: broken link `../docs/nowhere.md`']);
  });

  it('reports a lesson whose last section has a check (no summary)', () => {
    const out = lint(`${fm()}\n${step()}`);
    expect(out.map((l) => l.split(' — ')[0])).toEqual(['lessons/01-demo.md:10: no summary section']);
  });

  it('reports more than three hints and two check blocks', () => {
    const hints = '```hint\na\n```\n\n'.repeat(4) + '```solution\ntrue\n```\n\n```check\n- shell: { script: "true" }\n```\n';
    const out = lint(`${fm()}\n${step('- netns: { name: ns1 }', hints)}\n## 小结\n\n完。\n`).map((l) => l.split(' — ')[0]);
    expect(out).toEqual([
      'lessons/01-demo.md:38: step "第一步" has more than one ```check block',
      'lessons/01-demo.md:10: step "第一步" has 4 hints',
    ]);
  });

  it('reports a file with no front matter', () => {
    expect(lint('# 没有 front matter\n')[0]).toMatch(/^lessons\/01-demo.md:1: no front matter — /);
  });

  it('finds duplicate ids and unknown prerequisites across files', () => {
    const a = lintSource(good, 'lessons/01-demo.md', catalog).parsed;
    const b = lintSource(good.replace('prerequisites: []', 'prerequisites: [00-none]'), 'x/01-demo.md', catalog).parsed;
    expect(lintCourse([a, b]).map(formatProblem)).toEqual([
      'x/01-demo.md:2: duplicate lesson id `01-demo` (also in lessons/01-demo.md) — give each lesson its own id, the file name without .md',
      'x/01-demo.md:7: prerequisite `00-none` is not a lesson — use the id of a lesson in the same directory',
    ]);
  });
});
