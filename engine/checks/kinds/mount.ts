import { z } from 'zod';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { pickContainer, placeMessages } from '../place.ts';
import { list, t } from '../render.ts';
import type { Report, Text } from '../types.ts';

const schema = z.strictObject({
  container: z.string().min(1),
  destination: z.string().startsWith('/').describe('Path inside the container.'),
  type: z
    .enum(['bind', 'volume', 'tmpfs'])
    .optional()
    .describe('`bind` (`-v /host/dir:/dir`) or `volume` (a named or anonymous volume).'),
  source: z.string().optional().describe('Host path of a bind mount.'),
  name: z.string().optional().describe('Volume name.'),
  rw: z.boolean().optional().describe('true: read-write; false: `:ro`.'),
});

export default defineKind(
  {
    id: 'mount',
    description: t(
      '容器在某个路径上挂载了数据卷或主机目录，类型、来源和读写方式符合要求',
      'a container has a volume or host directory mounted at a path, with the given type, source and mode',
    ),
    schema,
    messages: {
      ...placeMessages,
      ok: t(
        '容器 {container} 的 {destination} 挂载的是 {source}（{mode}）',
        "container {container}'s {destination} is mounted from {source} ({mode})",
      ),
      noMount: t(
        '容器 {container} 的 {destination} 上没有挂载（现有的挂载点：{found}）',
        'container {container} has nothing mounted at {destination} (mount points: {found})',
      ),
      // Mounts are fixed when a container is created: the way out is to make it again.
      field: t(
        '容器 {container} 挂载在 {destination} 的 {field} 是 {found}，应该是 {want}。挂载只能在创建容器时设定：先 `docker rm -f {container}`，再{fix}重新 `docker run`',
        'the mount at {destination} of container {container} has {field} {found}, expected {want}. Mounts are set when the container is created: `docker rm -f {container}` first, then `docker run` it again {fix}',
      ),
    },
    example: 'mount: { container: v1, source: /root/container_data, destination: /data, rw: true }',
    reads: ['containers'],
  },
  (p, ctx) => {
    const state = stateOf(ctx);
    const { c, report } = pickContainer(state, p.container);
    if (report) return [report];
    const m = c.mounts.find((x) => x.destination.replace(/\/$/, '') === p.destination.replace(/\/$/, ''));
    if (!m)
      return [
        fail('noMount', {
          container: p.container,
          destination: p.destination,
          found: list(c.mounts.map((x) => x.destination)),
        }),
      ];
    const out: Report[] = [];
    const f = (field: string, found: string, want: string, fix: Text): void =>
      void out.push(
        fail('field', { container: p.container, destination: p.destination, field, found, want, fix }),
      );
    const dst = p.destination;
    const rebind = (what: string): Text => t(`用 \`-v ${what}:${dst}\` `, `with \`-v ${what}:${dst}\``);
    if (p.type && m.type !== p.type)
      f(
        'Type',
        m.type,
        p.type,
        p.type === 'bind'
          ? rebind(p.source ?? '/host/dir')
          : p.type === 'volume'
            ? rebind(p.name ?? 'volname')
            : t(`用 \`--tmpfs ${dst}\` `, `with \`--tmpfs ${dst}\``),
      );
    if (p.source && m.source.replace(/\/$/, '') !== p.source.replace(/\/$/, ''))
      f('Source', m.source, p.source, rebind(p.source));
    if (p.name && m.name !== p.name) f('Name', m.name || '-', p.name, rebind(p.name));
    if (p.rw !== undefined && m.rw !== p.rw)
      f(
        'RW',
        m.rw ? 'rw' : 'ro',
        p.rw ? 'rw' : 'ro',
        p.rw
          ? t('去掉 `-v` 最后的 `:ro` ', 'without the `:ro` at the end of `-v`')
          : t('在 `-v` 的最后加上 `:ro` ', 'with `:ro` at the end of `-v`'),
      );
    return out.length
      ? out
      : [
          ok('ok', {
            container: p.container,
            destination: p.destination,
            source: m.name || m.source,
            mode: m.rw ? 'rw' : 'ro',
          }),
        ];
  },
);
