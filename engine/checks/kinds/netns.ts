import { z } from 'zod';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { list, t } from '../render.ts';

const schema = z.union([
  z
    .string()
    .min(1)
    .transform((name) => ({ names: [name], exists: true })),
  z
    .array(z.string().min(1))
    .min(1)
    .transform((names) => ({ names, exists: true })),
  z
    .strictObject({ name: z.string().min(1), exists: z.boolean().default(true) })
    .transform((o) => ({ names: [o.name], exists: o.exists })),
]);

export default defineKind(
  {
    id: 'netns',
    description: t(
      '`ip netns list` 里有（或没有）这些命名空间',
      'these names are (or are not) in `ip netns list`',
    ),
    schema,
    messages: {
      ok: t('命名空间 {name} 已经建好了', 'netns {name} exists'),
      gone: t('命名空间 {name} 已经删除了', 'netns {name} is gone'),
      // Word for word placeMessages.noNetns: a step that checks a netns and something in it says
      // a missing netns once (the page drops repeats).
      missing: t(
        '没有命名空间 {name}（`ip netns list` 里有：{found}）',
        'there is no netns {name} (`ip netns list` shows: {found})',
      ),
      present: t(
        '命名空间 {name} 还在，应该用 `ip netns del {name}` 删掉',
        'netns {name} is still there; it should have been deleted (`ip netns del {name}`)',
      ),
    },
    example: 'netns: { name: ns1 }',
    reads: ['namespaces'],
  },
  (p, ctx) => {
    const names = stateOf(ctx).namespaces.flatMap((n) => n.names);
    return p.names.map((name) => {
      const has = names.includes(name);
      if (p.exists) return has ? ok('ok', { name }) : fail('missing', { name, found: list(names) });
      return has ? fail('present', { name }) : ok('gone', { name });
    });
  },
);
