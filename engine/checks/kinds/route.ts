import { z } from 'zod';
import type { Route } from '../../inspect/types.ts';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { placeFields, placeMessages, resolvePlace } from '../place.ts';
import { list, t } from '../render.ts';
import type { Report } from '../types.ts';

const schema = z.strictObject({
  ...placeFields,
  dst: z.string().min(1).describe('`default`, or a destination network such as `10.0.1.0/24`.'),
  via: z.string().optional().describe('Gateway address.'),
  dev: z.string().optional(),
  table: z.string().default('main'),
  exists: z.boolean().default(true),
});

const norm = (d: string): string => (d === '0.0.0.0/0' ? 'default' : d.replace(/\/32$/, ''));
const show = (r: Route): string =>
  `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}`;

export default defineKind(
  {
    id: 'route',
    description: t(
      '某个命名空间的路由表里有（或没有）到某个目的地的路由',
      "a namespace's routing table has (or lacks) a route to a destination",
    ),
    schema,
    messages: {
      ...placeMessages,
      ok: t('{where}里有路由 {route}', '{where} has the route {route}'),
      gone: t('{where}里没有到 {dst} 的路由了', '{where} has no route to {dst} any more'),
      present: t(
        '{where}里还有路由 {route}，它应该已经删掉了',
        '{where} still has the route {route}; it should have been deleted',
      ),
      missing: t(
        '{where}里没有到 {dst} 的路由（现在的路由：{found}）',
        '{where} has no route to {dst} (routes: {found})',
      ),
      via: t(
        '{where}里到 {dst} 的路由经过 {found}，应该经过 {want}',
        'in {where} the route to {dst} goes via {found}, expected via {want}',
      ),
      dev: t(
        '{where}里到 {dst} 的路由走网卡 {found}，应该走 {want}',
        'in {where} the route to {dst} uses {found}, expected {want}',
      ),
    },
    example: 'route: { netns: manual, dst: default, via: 172.17.0.1 }',
    reads: ['namespaces', 'containers'],
  },
  (p, ctx) => {
    const place = resolvePlace(stateOf(ctx), p);
    if (place.report) return [place.report];
    const where = place.label;
    const routes = place.ns.routes.filter((r) => r.table === p.table && !r.dst.includes(':'));
    const dst = norm(p.dst);
    const same = routes.filter((r) => norm(r.dst) === dst);
    if (!p.exists)
      return same.length ? [fail('present', { route: show(same[0]!), where })] : [ok('gone', { dst, where })];
    if (same.length === 0) return [fail('missing', { dst, where, found: list(routes.map(show)) })];
    const good = same.find((r) => (!p.via || r.gateway === p.via) && (!p.dev || r.dev === p.dev));
    if (good) return [ok('ok', { route: show(good), where })];
    const r = same[0]!;
    const out: Report[] = [];
    if (p.via && r.gateway !== p.via)
      out.push(
        fail('via', { dst, where, want: p.via, found: r.gateway ?? t('（不经过网关）', '(no gateway)') }),
      );
    if (p.dev && r.dev !== p.dev) out.push(fail('dev', { dst, where, want: p.dev, found: r.dev ?? '?' }));
    return out;
  },
);
