import { z } from 'zod';
import type { Image } from '../../inspect/types.ts';
import { findImage, normalizeRef } from '../docker.ts';
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
  pulled: z
    .boolean()
    .optional()
    .describe(
      'Pulled from a registry under this name (a repo digest for it), not another image tagged with the name.',
    ),
  from: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The base image it was built FROM: its layers and history must be the bottom of this one, with no other pulled image (nginx on debian, say) between them.',
    ),
  instructions: z
    .array(z.string().regex(/^[A-Z]+$/, 'a Dockerfile instruction in capitals, e.g. EXPOSE'))
    .optional()
    .describe(
      "Dockerfile instructions (`RUN`, `EXPOSE`, `CMD`, ...) that must be the image's own, in the layers above `from`: not inherited from the base.",
    ),
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
      // An image does not change: the way out is to build it again.
      field: t(
        '镜像 {name} 的 {field} 是 {found}，应该是 {want}。镜像建好就不会变：改好 Dockerfile，再用 `docker build -t {name} .` 重新构建',
        "image {name}'s {field} is {found}, expected {want}. An image does not change once built: fix the Dockerfile and `docker build -t {name} .` again",
      ),
      history: t(
        '镜像 {name} 的历史只有 {found} 层，应该至少 {want} 层',
        'image {name} has {found} history entries, expected at least {want}',
      ),
      notPulled: t(
        '本地的 {name} 不是从仓库拉取的 {repo}（它的来源记录是：{found}）：可能是别的镜像打上了这个标签',
        'the local {name} was not pulled as {repo} (its repo digests: {found}); another image may have been tagged with this name',
      ),
      notFrom: t(
        '镜像 {name} 不是以 {base} 为基础构建的（它最底下的层和 {base} 的不一样）',
        "image {name} was not built FROM {base} (its bottom layers are not {base}'s)",
      ),
      nearer: t(
        '镜像 {name} 是在 {nearer} 之上构建的，不是直接 FROM {base}：{nearer} 本身就是在 {base} 上做出来的，它的层在 {name} 的最底下',
        "image {name} was built on {nearer}, not directly FROM {base}: {nearer} is itself made on {base}, and its layers are the bottom of {name}'s",
      ),
      inherited: t(
        '镜像 {name} 自己的层里没有 {instruction} 指令（{own}）：镜像里的设置是从基础镜像 {base} 继承来的，不是你的 Dockerfile 写的',
        "image {name}'s own layers have no {instruction} instruction ({own}): what the image has there comes from the base image {base}, not from your Dockerfile",
      ),
    },
    example: 'image: { name: "df_test1:latest", exposedPorts: ["80/tcp"], cmd: [nginx, -g, "daemon off;"] }',
    reads: ['images', 'imageHistory'],
    readsBaseline: true,
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
    if (p.pulled) {
      const repo = normalizeRef(p.name).replace(/:[^/:]+$/, '');
      if (!img.digests.some((d) => normalizeRef(d.split('@')[0]! + ':x').replace(/:x$/, '') === repo))
        out.push(
          fail('notPulled', { name: p.name, repo, found: list(img.digests.map((d) => d.split('@')[0]!)) }),
        );
    }
    if (p.from) {
      const base = findImage(state, p.from);
      if (!base)
        out.push(fail('missing', { name: p.from, found: list(state.docker.images.flatMap((i) => i.tags)) }));
      else {
        const own = ownHistory(img, base);
        const nearer = own && nearerBase(img, base, (ctx.baseline?.[ctx.host] ?? state).docker.images);
        if (!own) out.push(fail('notFrom', { name: p.name, base: p.from }));
        else if (nearer) out.push(fail('nearer', { name: p.name, base: p.from, nearer }));
        else
          for (const ins of p.instructions ?? [])
            if (!own.some((h) => instructionOf(h.createdBy) === ins))
              out.push(
                fail('inherited', {
                  name: p.name,
                  instruction: ins,
                  base: p.from,
                  own: list(own.map((h) => instructionOf(h.createdBy))),
                }),
              );
      }
    }
    if (p.minHistory && img.history.length < p.minHistory)
      out.push(fail('history', { name: p.name, found: img.history.length, want: p.minHistory }));
    return out.length ? out : [ok('ok', { name: p.name })];
  },
);

/**
 * The history entries the image added on top of `base` (newest first), or undefined when it was not
 * built from it: the base's layers must be the bottom of the image's, and the base's history the
 * oldest part of the image's.
 */
export function ownHistory(img: Image, base: Image): Image['history'] | undefined {
  if (img.id === base.id) return [];
  const a = img.rootfs;
  const b = base.rootfs;
  if (a && b && (b.length > a.length || b.some((l, i) => a[i] !== l))) return undefined;
  const n = img.history.length - base.history.length;
  if (n < 0) return undefined;
  const tail = img.history.slice(n);
  if (!tail.every((h, i) => h.createdBy === base.history[i]!.createdBy)) return undefined;
  return img.history.slice(0, n);
}

/**
 * A pulled image (one with a repo digest, as the offline images have) of `images` — the host's at
 * the step's start — that stands between `base` and `img`: built on the base, and itself the bottom
 * of `img`. The offline images share one Debian base, so `FROM nginx` also has debian's layers at
 * its bottom: this tells it from `FROM debian`. The learner's own builds do not count: the build
 * cache makes an earlier build with the same first lines the bottom of a later one.
 */
function nearerBase(img: Image, base: Image, images: readonly Image[]): string | undefined {
  const between = images.find(
    (i) =>
      i.tags.length > 0 &&
      i.digests.length > 0 &&
      i.id !== img.id &&
      i.id !== base.id &&
      (ownHistory(i, base)?.length ?? 0) > 0 &&
      ownHistory(img, i) !== undefined,
  );
  return between?.tags[0];
}

/**
 * The Dockerfile instruction a history entry records: the classic builder writes
 * `/bin/sh -c #(nop)  EXPOSE 80` (and plain `/bin/sh -c CMD...` for RUN), BuildKit `EXPOSE map[80/tcp:{}]`
 * and `RUN /bin/sh -c ... # buildkit`; `docker commit` leaves the container's command.
 */
export function instructionOf(createdBy: string): string {
  const s = createdBy.replace(/^\|\d+ (\S+=\S* )*/, '').trim();
  const nop = /^\/bin\/sh -c #\(nop\)\s+([A-Z]+)\b/.exec(s);
  if (nop) return nop[1]!;
  if (/^\/bin\/sh -c /.test(s)) return 'RUN';
  return /^([A-Z]+)\b/.exec(s)?.[1] ?? '?';
}

function subset(out: Report[], name: string, field: string, found: string[], want?: string[]): void {
  if (want && !want.every((w) => found.includes(w)))
    out.push(fail('field', { name, field, found: show(found), want: show(want) }));
}
const short = (id: string): string => id.replace('sha256:', '').slice(0, 12);
function show(v: unknown): string | ReturnType<typeof t> {
  if (v === null || v === '' || (Array.isArray(v) && v.length === 0)) return t('（空）', '(empty)');
  return typeof v === 'string' ? v : JSON.stringify(v);
}
