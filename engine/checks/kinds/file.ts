import { z } from 'zod';
import { defineKind, fail, ok, sh, stateOf } from '../kind.ts';
import { pickContainer, placeMessages } from '../place.ts';
import { t } from '../render.ts';

const schema = z.strictObject({
  path: z
    .string()
    .startsWith('/', 'an absolute path')
    .describe('Absolute path, on the host or inside `container`.'),
  container: z.string().min(1).optional(),
  exists: z.boolean().default(true),
  type: z.enum(['file', 'dir']).optional().describe('`file` or `dir`.'),
  contains: z.string().optional().describe('Text the file must contain.'),
});

/** Bytes of a file we read at most: enough for any lesson's file, bounded for a learner's huge one. */
const maxBytes = 1 << 20;

export default defineKind(
  {
    id: 'file',
    description: t(
      '主机上或容器里有（或没有）这个文件或目录，内容里有指定的文字',
      'a file or directory exists (or not) on the host or in a container, containing the given text',
    ),
    schema,
    messages: {
      ...placeMessages,
      ok: t('{where}里有 {path}{contains}', '{path} exists in {where}{contains}'),
      gone: t('{where}里没有 {path} 了', '{path} no longer exists in {where}'),
      present: t(
        '{where}里还有 {path}，它应该已经删掉了',
        '{path} still exists in {where}; it should have been removed',
      ),
      missing: t('{where}里没有 {path}', '{path} does not exist in {where}'),
      type: t(
        '{where}里的 {path} 是{found}，应该是{want}',
        '{path} in {where} is a {found}, expected a {want}',
      ),
      content: t(
        '{where}里的 {path} 内容里没有“{want}”（开头是：{found}）',
        '{path} in {where} lacks "{want}" (it begins: {found})',
      ),
    },
    example: 'file: { container: dc2, path: /tmp/from-exec }',
    reads: ['containers'],
    probes: ['file'],
  },
  async (p, ctx) => {
    const state = stateOf(ctx);
    let setup = `f=${sh(p.path)}`;
    const where = p.container ? t(`容器 ${p.container}`, `container ${p.container}`) : t('主机', 'the host');
    if (p.container) {
      const { c, report } = pickContainer(state, p.container);
      if (report) return [report];
      // A running container's files are under /proc/PID/root (no docker CLI: it is slow under TCG);
      // a stopped one's come out through `docker cp`.
      setup =
        c.running && c.pid
          ? `f=/proc/${c.pid}/root${sh(p.path)}`
          : `d=$(mktemp -d); trap 'rm -rf "$d"' EXIT; docker cp ${sh(`${c.id}:${p.path}`)} "$d/x" >/dev/null 2>&1; f="$d/x"`;
    }
    const script = `${setup}\nif [ -d "$f" ]; then echo dir; elif [ -e "$f" ]; then echo file; head -c ${maxBytes} "$f"; else echo none; fi`;
    const r = await ctx.exec(ctx.host, script, 20_000);
    const nl = r.stdout.indexOf('\n');
    const kind = (nl < 0 ? r.stdout : r.stdout.slice(0, nl)).trim();
    const body = nl < 0 ? '' : r.stdout.slice(nl + 1);
    const data = { path: p.path, where };
    if (!p.exists) return [kind === 'none' ? ok('gone', data) : fail('present', data)];
    if (kind !== 'file' && kind !== 'dir') return [fail('missing', data)];
    const name = (k: string) => (k === 'dir' ? t('目录', 'directory') : t('文件', 'file'));
    if (p.type && p.type !== kind) return [fail('type', { ...data, found: name(kind), want: name(p.type) })];
    if (p.contains !== undefined && !body.includes(p.contains)) {
      return [
        fail('content', {
          ...data,
          want: p.contains,
          found: body.replace(/\s+/g, ' ').trim().slice(0, 80) || t('（空）', '(empty)'),
        }),
      ];
    }
    return [
      ok('ok', {
        ...data,
        contains: p.contains ? t(`，内容里有“${p.contains}”`, `, containing "${p.contains}"`) : '',
      }),
    ];
  },
);
