import { z } from 'zod';
import { findImage } from '../docker.ts';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { list, t } from '../render.ts';
import type { Report } from '../types.ts';

const strings = z.array(z.string());
const schema = z.strictObject({
  name: z.string().min(1).describe('`name:tag` (tag defaults to latest), or an id prefix.'),
  exists: z.boolean().default(true),
  sameAs: z
    .string()
    .optional()
    .describe('Another reference that must be the very same image (same id), e.g. after `docker tag`.'),
  author: z.string().optional(),
  cmd: strings.optional(),
  entrypoint: strings.optional(),
  exposedPorts: strings.optional().describe('e.g. `["80/tcp"]`; every one listed must be exposed.'),
  labels: z.record(z.string(), z.string()).optional(),
  env: z.record(z.string(), z.string()).optional(),
  workdir: z.string().optional(),
  user: z.string().optional(),
  volumes: strings.optional(),
  onBuild: strings.optional(),
  minHistory: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('At least this many entries in `docker history`.'),
});

export default defineKind(
  {
    id: 'image',
    description: t(
      '本地有这个镜像（或已经删除），并且它的配置（CMD、ENTRYPOINT、EXPOSE、LABEL 等）符合要求',
      'a local image exists (or is gone) and its config (CMD, ENTRYPOINT, EXPOSE, LABEL, ...) is as expected',
    ),
    schema,
    messages: {
      ok: t('镜像 {name} 符合要求', 'image {name} is as expected'),
      gone: t('镜像 {name} 已经删除了', 'image {name} is gone'),
      present: t(
        '镜像 {name} 还在，应该已经删除了（`docker rmi {name}`）',
        'image {name} is still there; it should have been removed (`docker rmi {name}`)',
      ),
      missing: t(
        '本地没有镜像 {name}（现有的镜像：{found}）',
        'there is no local image {name} (images: {found})',
      ),
      dockerDown: t(
        'dockerd 没有在运行，看不到任何镜像（{error}）',
        'dockerd is not running, so no image can be seen ({error})',
      ),
      notSame: t(
        '{name} 和 {other} 不是同一个镜像（ID {a} 和 {b} 不同）',
        '{name} and {other} are not the same image (ids {a} and {b} differ)',
      ),
      field: t(
        '镜像 {name} 的 {field} 是 {found}，应该是 {want}',
        "image {name}'s {field} is {found}, expected {want}",
      ),
      history: t(
        '镜像 {name} 的历史只有 {found} 层，应该至少 {want} 层',
        'image {name} has {found} history entries, expected at least {want}',
      ),
    },
    example: 'image: { name: "df_test1:latest", exposedPorts: ["80/tcp"], cmd: [nginx, -g, "daemon off;"] }',
  },
  (p, ctx) => {
    const state = stateOf(ctx);
    if (!state.docker.running)
      return [
        p.exists ? fail('dockerDown', { error: state.docker.error ?? '' }) : ok('gone', { name: p.name }),
      ];
    const img = findImage(state, p.name);
    if (!p.exists) return [img ? fail('present', { name: p.name }) : ok('gone', { name: p.name })];
    if (!img)
      return [fail('missing', { name: p.name, found: list(state.docker.images.flatMap((i) => i.tags)) })];
    const out: Report[] = [];
    if (p.sameAs) {
      const other = findImage(state, p.sameAs);
      if (!other)
        out.push(
          fail('missing', { name: p.sameAs, found: list(state.docker.images.flatMap((i) => i.tags)) }),
        );
      else if (other.id !== img.id)
        out.push(fail('notSame', { name: p.name, other: p.sameAs, a: short(img.id), b: short(other.id) }));
    }
    const cmp = (field: string, found: unknown, want: unknown): void => {
      if (JSON.stringify(found) !== JSON.stringify(want))
        out.push(fail('field', { name: p.name, field, found: show(found), want: show(want) }));
    };
    if (p.author !== undefined) cmp('Author', img.author, p.author);
    if (p.cmd) cmp('Cmd', img.cmd, p.cmd);
    if (p.entrypoint) cmp('Entrypoint', img.entrypoint, p.entrypoint);
    if (p.workdir !== undefined) cmp('WorkingDir', img.workdir, p.workdir);
    if (p.user !== undefined) cmp('User', img.user, p.user);
    if (p.onBuild) cmp('OnBuild', img.onBuild, p.onBuild);
    subset(out, p.name, 'ExposedPorts', img.exposedPorts, p.exposedPorts);
    subset(out, p.name, 'Volumes', img.volumes, p.volumes);
    for (const [k, v] of Object.entries(p.labels ?? {})) cmp(`label ${k}`, img.labels[k] ?? null, v);
    for (const [k, v] of Object.entries(p.env ?? {})) cmp(`env ${k}`, img.env[k] ?? null, v);
    if (p.minHistory && img.history.length < p.minHistory)
      out.push(fail('history', { name: p.name, found: img.history.length, want: p.minHistory }));
    return out.length ? out : [ok('ok', { name: p.name })];
  },
);

function subset(out: Report[], name: string, field: string, found: string[], want?: string[]): void {
  if (want && !want.every((w) => found.includes(w)))
    out.push(fail('field', { name, field, found: show(found), want: show(want) }));
}
const short = (id: string): string => id.replace('sha256:', '').slice(0, 12);
function show(v: unknown): string | ReturnType<typeof t> {
  if (v === null || v === '' || (Array.isArray(v) && v.length === 0)) return t('（空）', '(empty)');
  return typeof v === 'string' ? v : JSON.stringify(v);
}
