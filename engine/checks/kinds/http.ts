import { z } from 'zod';
import { defineKind, fail, ok, sh, stateOf } from '../kind.ts';
import { pickContainer, placeMessages } from '../place.ts';
import { enter, fromSchema, probeHost } from '../probe.ts';
import { list, t } from '../render.ts';

const schema = z
  .strictObject({
    url: z
      .string()
      .regex(/^https?:\/\//, 'a URL starting with http:// or https://')
      .optional()
      .describe('The URL to GET, e.g. `http://127.0.0.1:8080/`.'),
    port: z
      .strictObject({
        container: z.string().min(1),
        port: z.number().int(),
        path: z.string().startsWith('/').default('/'),
      })
      .optional()
      .describe(
        "Or: the host port a container's port is published on (`docker port`), e.g. `{ container: web, port: 80 }`.",
      ),
    contains: z.string().optional().describe('Text the body must contain.'),
    status: z
      .number()
      .int()
      .min(100)
      .max(599)
      .optional()
      .describe('Expected status code (default: any 2xx or 3xx).'),
    from: fromSchema
      .optional()
      .describe('Where the request starts: `{ netns: N }`, `{ container: C }`; omit for the host.'),
  })
  .refine((p) => (p.url === undefined) !== (p.port === undefined), {
    message: 'give exactly one of `url` or `port`',
  });

export default defineKind(
  {
    id: 'http',
    description: t(
      '对一个 URL（或容器映射到主机的端口）发 HTTP GET，状态码和内容符合要求',
      'an HTTP GET of a URL (or of the host port a container port is published on) answers with the expected status and body',
    ),
    schema,
    messages: {
      ...placeMessages,
      ok: t('{url} 返回了 {status}{contains}', '{url} answered {status}{contains}'),
      notPublished: t(
        '容器 {container} 的 {port} 端口没有映射到主机（现在的映射：{found}），没法从主机访问',
        "container {container}'s port {port} is not published on the host (published: {found}), so it cannot be reached from the host",
      ),
      noAnswer: t('访问 {url} 没有得到回应：{error}', 'GET {url} got no answer: {error}'),
      status: t('{url} 返回的状态码是 {found}，应该是 {want}', '{url} answered {found}, expected {want}'),
      body: t(
        '{url} 返回的内容里没有“{want}”（开头是：{found}）',
        'the body of {url} lacks "{want}" (it begins: {found})',
      ),
    },
    example: 'http: { port: { container: web, port: 80 }, contains: "hello" }',
    reads: ['containers', 'namespaces'],
    probes: ['http'],
  },
  async (p, ctx) => {
    const state = stateOf(ctx);
    let url = p.url ?? '';
    if (p.port) {
      const { c, report } = pickContainer(state, p.port.container);
      if (report) return [report];
      const binds = c.ports[`${p.port.port}/tcp`] ?? [];
      if (!binds.length) {
        const found = list(
          Object.entries(c.ports).flatMap(([k, bs]) => bs.map((b) => `${b.hostPort}->${k}`)),
        );
        return [fail('notPublished', { container: p.port.container, port: p.port.port, found })];
      }
      url = `http://127.0.0.1:${binds[0]!.hostPort}${p.port.path}`;
    }
    const runOn = probeHost(p.from, ctx.host);
    const e = enter(ctx.states[runOn] ?? state, p.from);
    if ('report' in e) return [e.report];
    const marker = '__DOCKERLAB_STATUS__';
    const r = await ctx.exec(
      runOn,
      `${e.prefix}curl -sS -m 8 -w '\\n${marker}%{http_code}' ${sh(url)} | tail -c 70000`,
      20_000,
    );
    const at = r.stdout.lastIndexOf(marker);
    const status = at >= 0 ? Number(r.stdout.slice(at + marker.length).trim()) : 0;
    if (!status) return [fail('noAnswer', { url, error: r.stderr.trim().slice(0, 200) || `exit ${r.code}` })];
    const body = r.stdout.slice(0, at).replace(/\n$/, '');
    if (p.status ? status !== p.status : status >= 400)
      return [fail('status', { url, found: status, want: p.status ?? '2xx/3xx' })];
    if (p.contains !== undefined && !body.includes(p.contains)) {
      return [
        fail('body', {
          url,
          want: p.contains,
          found: body.replace(/\s+/g, ' ').trim().slice(0, 80) || t('（空）', '(empty)'),
        }),
      ];
    }
    return [
      ok('ok', {
        url,
        status,
        contains: p.contains ? t(`，内容里有“${p.contains}”`, `, containing "${p.contains}"`) : '',
      }),
    ];
  },
);
