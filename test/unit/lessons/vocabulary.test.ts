import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintSource, type CheckCatalog } from '../../../engine/lessons/lint.ts';
import { formatProblem } from '../../../engine/lessons/problem.ts';
import { proseLines, terms, vocabularyProblems } from '../../../engine/lessons/vocabulary.ts';

const catalog: CheckCatalog = { has: (k) => k === 'netns', validate: () => [] };

/** A well-formed lesson whose intro is `intro` (line 10) and whose hint is `hint` (line 21). */
const lesson = (intro: string, hint = '试试 ip netns add', title = '演示') =>
  `---\nid: 01-demo\ntitle: ${title}\nchapter: 1\nhosts: 1\nminutes: 5\nprerequisites: []\n---\n\n${intro}\n\n## 第一步\n\n说明。\n\n\`\`\`check\n- netns: { name: ns1 }\n\`\`\`\n\n\`\`\`hint\n${hint}\n\`\`\`\n\n\`\`\`solution\nip netns add ns1\n\`\`\`\n\n## 小结\n\n完成。\n`;

const problems = (src: string, file = 'lessons/01-demo.md') => vocabularyProblems(src, file).map((p) => `${p.line}: ${p.what}`);

describe('lesson lint: one vocabulary', () => {
  // Each row: prose, the problems it must give (line: what). Empty: the prose is right.
  const table: [string, string[]][] = [
    ['新建一个命名空间，再把网卡放进命名空间。', []],
    ['新建一个空间，再把网卡放进去。', ['10: `空间` is not the course\'s term for namespace']],
    ['进程运行在用户空间，磁盘空间还够。', []],
    ['这就是 network namespace 的作用。', ['10: `namespace` is not the course\'s term for namespace']],
    ['**网络命名空间**（network namespace）：一套网络栈。', []],
    ['Docker 创建一个匿名卷。', ['10: `卷` is not the course\'s term for volume']],
    ['Docker 创建一个匿名数据卷；`docker volume ls` 列出数据卷容器用的卷。', ['10: `卷` is not the course\'s term for volume']],
    ['用 --volumes-from 共享，数据放在 volume 里。', ['10: `volume` is not the course\'s term for volume']],
    ['这叫 bind mount。', ['10: `bind mount` is not the course\'s term for bind mount']],
    ['守护进程读 daemon.json；daemon 重启后生效。', ['10: `daemon` is not the course\'s term for daemon']],
    ['守护进程从仓库镜像拉取。', ['10: `仓库镜像` is not the course\'s term for registry mirror']],
    ['在宿主机上运行。', ['10: `宿主机` is not the course\'s term for host']],
    ['报错 "Cannot connect to the Docker daemon" 时，先启动守护进程。', []],
    ['容器能"走进去"。', ['10: ASCII quotes around Chinese text: "走进去"']],
    ['容器能“走进去”；`echo "走进去"` 是命令。', []],
    ['报 "network not found" 或 "context deadline exceeded"？再等等。', []],
    ['A line in English about the daemon and a volume.', []],
  ];
  it.each(table)('%s', (prose, expected) => {
    expect(problems(lesson(prose))).toEqual(expected);
  });

  it('reads hints and the title, never checks, solutions or code blocks', () => {
    const src = lesson('简介。', '把 veth 放进空间。', 'volume 入门').replace('ip netns add ns1\n```\n\n## 小结', 'ip netns add ns1 # 空间 "卷"\n```\n\n```bash\necho "数据卷" volume\n```\n\n## 小结');
    expect(problems(src)).toEqual(['3: `volume` is not the course\'s term for volume', '21: `空间` is not the course\'s term for namespace']);
  });

  it('finds the right lines in prose (front matter, fences and indented code skipped)', () => {
    const lines = proseLines('---\nid: x\ntitle: 标题\n---\n正文\n```bash\ncode\n```\n    indented\n- item');
    expect(lines).toEqual([
      { line: 3, text: '标题' },
      { line: 5, text: '正文' },
      { line: 10, text: '- item' },
    ]);
  });

  it('is part of lessons lint, with file:line, the preferred term and the 术语表', () => {
    const out = lintSource(lesson('新建一个空间。'), 'lessons/01-demo.md', catalog).problems.map(formatProblem);
    expect(out).toEqual(["lessons/01-demo.md:10: `空间` is not the course's term for namespace — write 命名空间 (the first time in a lesson: 命名空间（namespace）); see the 术语表 in docs/authoring.md"]);
  });

  it('matches the 术语表 in docs/authoring.md', () => {
    const doc = readFileSync('docs/authoring.md', 'utf8');
    const table = doc.slice(doc.indexOf('### 术语表'));
    for (const t of terms) {
      const row = table.split('\n').find((l) => l.startsWith(`| ${t.zh} |`));
      expect(row, `docs/authoring.md 术语表 lacks a row for ${t.zh}`).toBeDefined();
      expect(row).toContain(t.en);
      for (const a of t.avoid) expect(row).toContain(a.shown);
    }
  });
});
