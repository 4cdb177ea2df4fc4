import { z } from 'zod';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { list, t } from '../render.ts';

const schema = z.strictObject({
  name: z.string().min(1),
  exists: z.boolean().default(true),
  driver: z.string().optional(),
});

export default defineKind(
  {
    id: 'volume',
    description: t('有（或没有）这个 Docker 数据卷', 'a Docker volume exists (or not)'),
    schema,
    messages: {
      ok: t('数据卷 {name} 存在', 'volume {name} exists'),
      gone: t('数据卷 {name} 已经删除了', 'volume {name} is gone'),
      present: t(
        '数据卷 {name} 还在，应该已经删除了',
        'volume {name} is still there; it should have been removed',
      ),
      missing: t(
        '没有数据卷 {name}（现有的数据卷：{found}）',
        'there is no volume {name} (volumes: {found})',
      ),
      dockerDown: t(
        'dockerd 没有在运行，看不到任何数据卷（{error}）',
        'dockerd is not running, so no volume can be seen ({error})',
      ),
      driver: t(
        '数据卷 {name} 的驱动是 {found}，应该是 {want}',
        'volume {name} uses driver {found}, expected {want}',
      ),
    },
    example: 'volume: { name: dbdata }',
    reads: ['volumes'],
  },
  (p, ctx) => {
    const state = stateOf(ctx);
    if (!state.docker.running)
      return [
        p.exists ? fail('dockerDown', { error: state.docker.error ?? '' }) : ok('gone', { name: p.name }),
      ];
    const v = state.docker.volumes.find((x) => x.name === p.name);
    if (!p.exists) return [v ? fail('present', { name: p.name }) : ok('gone', { name: p.name })];
    if (!v)
      return [
        fail('missing', {
          name: p.name,
          found: list(state.docker.volumes.map((x) => x.name).filter((n) => !/^[0-9a-f]{64}$/.test(n))),
        }),
      ];
    if (p.driver && v.driver !== p.driver)
      return [fail('driver', { name: p.name, found: v.driver, want: p.driver })];
    return [ok('ok', { name: p.name })];
  },
);
