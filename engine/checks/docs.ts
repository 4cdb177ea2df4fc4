/**
 * Generates docs/checks.md, the check reference for instructors, from each kind's meta (so it
 * cannot drift: test/unit/checks/meta.test.ts compares). Regenerate: `npx tsx engine/checks/docs.ts --write`.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { kinds } from './index.ts';
import { type Json, typeOf } from './shape.ts';
import type { CheckKind } from './types.ts';

export const docsPath = fileURLToPath(new URL('../../docs/checks.md', import.meta.url));

/** The object form of a kind's parameters (a kind may also accept shorthands, listed separately). */
function objectForm(s: Json): { obj?: Json; shorthands: Json[] } {
  if (s.type === 'object' && s.properties) return { obj: s, shorthands: [] };
  const alts = s.anyOf ?? [];
  return {
    obj: alts.find((a) => a.type === 'object' && a.properties),
    shorthands: alts.filter((a) => !(a.type === 'object' && a.properties)),
  };
}

const cell = (v: string): string => v.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function kindMarkdown(k: CheckKind): string {
  const m = k.meta;
  const schema = z.toJSONSchema(m.schema, { io: 'input', unrepresentable: 'any' }) as Json;
  const { obj, shorthands } = objectForm(schema);
  const tags = [
    m.probes?.length ? '主动探测 / active probe' : '',
    m.weak ? '弱证据 / weak evidence' : '',
  ].filter(Boolean);
  const lines = [`## ${m.id}`, '', m.description.zh, '', m.description.en, ''];
  if (tags.length) lines.push(`*${tags.join(' · ')}*`, '');
  lines.push(
    '| 参数 parameter | 类型 type | 必填 required | 默认 default | 说明 description |',
    '|---|---|---|---|---|',
  );
  for (const [name, p] of Object.entries(obj?.properties ?? {})) {
    const req = obj?.required?.includes(name) && p.default === undefined ? '✓' : '';
    const def = p.default === undefined ? '' : `\`${JSON.stringify(p.default)}\``;
    lines.push(`| \`${name}\` | ${cell(typeOf(p))} | ${req} | ${def} | ${cell(p.description ?? '')} |`);
  }
  lines.push('| `host` | string |  | first host | 在哪台主机上检查 / which lab host (e.g. `host2`) |', '');
  if (shorthands.length)
    lines.push(`简写 / shorthand: ${shorthands.map((s) => `\`${typeOf(s)}\``).join(', ')}`, '');
  const reads = m.reads.length ? m.reads.map((r) => `\`${r}\``).join(', ') : '（无 / none）';
  lines.push(`读取快照的部分 / snapshot parts read: ${reads}`, '');
  lines.push(
    '示例 / example:',
    '',
    '```check',
    `- ${m.example.replace(/\n/g, '\n  ')}`,
    '```',
    '',
    '消息 / messages:',
    '',
  );
  for (const [id, t] of Object.entries(m.messages)) lines.push(`- \`${id}\`: ${t.zh} / ${t.en}`);
  lines.push('');
  return lines.join('\n');
}

export function checksMarkdown(): string {
  const names = Object.keys(kinds);
  const head = [
    '# 检查参考 / Check reference',
    '',
    '<!-- Generated from engine/checks/kinds/*: edit the kinds, then run `npx tsx engine/checks/docs.ts --write`. -->',
    '',
    '每一步的 ```check 块是一个条件列表，每个条件写成 `- 种类: { 参数 }`。所有条件都可以加 `host: host2`，在另一台主机上检查。',
    '被动检查只读一次性采集的状态快照；主动检查（reach、http、file、shell）会在沙箱里实际执行探测。',
    '每种检查都声明它读快照的哪些部分（下面的“读取快照的部分”），一步只采集它的条件要读的部分，所以检查很快；检查读了没声明的部分会直接报错。',
    '',
    "A step's ```check block is a list of conditions, each `- kind: { params }`. Every condition takes `host: host2` to check another lab host.",
    'Passive kinds read the snapshot taken once per evaluation; active kinds (reach, http, file, shell) run a probe in the sandbox.',
    'Each kind declares the parts of the snapshot it reads ("snapshot parts read" below); a step collects only the parts its conditions read, which keeps checks fast, and a kind reading a part it did not declare is an error.',
    '',
    names.map((n) => `[${n}](#${n})`).join(' · '),
    '',
  ];
  return [...head, ...names.map((n) => kindMarkdown(kinds[n]!))].join('\n');
}

if (
  process.argv[1] &&
  fileURLToPath(import.meta.url) === process.argv[1] &&
  process.argv.includes('--write')
) {
  writeFileSync(docsPath, checksMarkdown());
}
