import { z } from 'zod';
import type { Container, HostState } from '../../inspect/types.ts';
import { containerOfImage, linkPairs, parseBytes, twice } from '../docker.ts';
import { inSubnet } from '../ip.ts';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { placeMessages } from '../place.ts';
import { list, t } from '../render.ts';
import type { CheckContext, Report } from '../types.ts';

const schema = z
  .strictObject({
    name: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Exact container name. Omit to accept any container matching the other fields (e.g. by image).',
      ),
    image: z
      .string()
      .min(1)
      .optional()
      .describe('Image the container was created from: `nginx`, `nginx:latest`, or an id.'),
    exists: z.boolean().default(true),
    running: z.boolean().optional(),
    started: z
      .boolean()
      .optional()
      .describe(
        'It has run at least once (`docker create` alone never starts it). Implied by `exitCode` and `restarted`.',
      ),
    restarted: z
      .boolean()
      .optional()
      .describe(
        'Stopped and started again, as the same container (`docker start`/`restart`): not removed and made anew under the same name.',
      ),
    exitCode: z.number().int().optional(),
    tty: z.boolean().optional(),
    ports: z
      .array(
        z.strictObject({
          container: z.number().int(),
          host: z.number().int().optional(),
          protocol: z.enum(['tcp', 'udp']).default('tcp'),
        }),
      )
      .optional()
      .describe('Published ports: container port, optionally the host port.'),
    exposedPorts: z
      .array(z.string())
      .optional()
      .describe('Ports it declares (`--expose 80` or the image\'s EXPOSE), e.g. `["80/tcp"]`.'),
    labels: z.record(z.string(), z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    networkMode: z
      .string()
      .optional()
      .describe('`bridge`, `host`, `none`, `container:NAME`, or a network name.'),
    networks: z.array(z.string()).optional().describe('Networks the container is attached to.'),
    links: z.array(z.string()).optional().describe('`--link` entries, `name:alias` (or just `name`).'),
    ip: z
      .string()
      .optional()
      .describe("An address (`172.17.0.2`) or a subnet (`192.168.100.0/24`) the container's IP must be in."),
    memory: z.union([z.string(), z.number()]).optional().describe('`--memory`, e.g. `256m`.'),
    cpuShares: z.number().int().optional(),
    cmd: z.array(z.string()).optional(),
    restart: z.string().optional(),
  })
  .refine((p) => p.name !== undefined || p.image !== undefined, {
    message: 'give `name` or `image` (or both) to say which container',
  });
type P = z.infer<typeof schema>;

/**
 * A setting fixed when the container is created: the message says how to get from here to right
 * (remove it, create it again), since a learner who forgot an option otherwise meets "Conflict. The
 * container name is already in use" when they run the corrected command.
 */
const field = t(
  '容器 {name} 的 {field} 是 {found}，应该是 {want}。这一项只能在创建容器时设定：先 `docker rm -f {name}`，再改好命令重新 `docker run`',
  "container {name}'s {field} is {found}, expected {want}. It is set when the container is created: `docker rm -f {name}` first, then `docker run` it again with the right options",
);

export default defineKind(
  {
    id: 'container',
    description: t(
      '有一个（按名字或镜像挑出的）容器处于期望的状态和配置',
      'a container (picked by name or image) has the expected state and configuration',
    ),
    schema,
    messages: {
      ok: t('容器 {name} 符合要求（{status}）', 'container {name} is as expected ({status})'),
      gone: t('{what}已经不存在了', '{what} no longer exists'),
      present: t(
        '{what}还在（{found}），应该已经删除了',
        '{what} still exists ({found}); it should have been removed',
      ),
      missing: t('没有找到{what}（现有的容器：{found}）', 'found no {what} (containers: {found})'),
      // Word for word what a kind looking inside the container says when it is missing, so a step
      // that checks the container and something in it says that once (the page drops repeats).
      noContainer: placeMessages.noContainer,
      renamed: t('{what}只是改名成了 {name}，并没有删除', '{what} was only renamed to {name}, not removed'),
      dockerDown: t(
        'dockerd 没有在运行，看不到任何容器（{error}）',
        'dockerd is not running, so no container can be seen ({error})',
      ),
      image: t(
        '容器 {name} 是用镜像 {found} 创建的，应该是 {want}。镜像换不了：先 `docker rm -f {name}`，再用 {want} 重新 `docker run`',
        'container {name} was created from {found}, expected {want}. The image cannot be changed: `docker rm -f {name}` first, then `docker run` it again from {want}',
      ),
      notRunning: t(
        '容器 {name} 没有在运行（{status}）：用 `docker start {name}` 启动它；如果它一启动就退出，看看 `docker logs {name}`',
        'container {name} is not running ({status}): start it with `docker start {name}`; if it stops again at once, see `docker logs {name}`',
      ),
      running: t(
        '容器 {name} 还在运行，应该已经停止',
        'container {name} is still running; it should have stopped',
      ),
      exitCode: t(
        '容器 {name} 的退出码是 {found}，应该是 {want}',
        'container {name} exited with {found}, expected {want}',
      ),
      neverStarted: t(
        '容器 {name} 只是创建了，从来没有运行过（`docker create` 不会启动它，用 `docker run` 或 `docker start`）',
        'container {name} was created but has never run (`docker create` does not start it: use `docker run` or `docker start`)',
      ),
      notRestarted: t(
        '容器 {name} 从创建以来没有被停止再启动过（{why}）',
        'container {name} has not been stopped and started again since it was created ({why})',
      ),
      replaced: t(
        '现在的 {name} 是一个新容器（ID {found}），不是这一步开始时的那个（ID {want}）：删掉重建不算重启。原来的容器已经没了，用「从头做这一步」回到这一步开始的样子，再重启原来的那个',
        'this {name} is a new container (id {found}), not the one this step started with (id {want}): removing and recreating is not restarting. The old one is gone: use "start this step again" to get back to where the step began, then restart that one',
      ),
      tty: t(
        '容器 {name} {found}分配终端（-t），这一步要求{want}。终端只能在创建时分配：先 `docker rm -f {name}`，再{fix}重新 `docker run`',
        'container {name} was {found}given a terminal (-t); this step wants {want}. A terminal is given when the container is created: `docker rm -f {name}` first, then `docker run` it again {fix}',
      ),
      port: t(
        '容器 {name} 的 {port} 端口没有映射到主机（需要 -p 或 -P；现在的映射：{found}）。端口映射只能在创建容器时设定：先 `docker rm -f {name}`，再加上 `{publish}` 重新 `docker run`',
        "container {name}'s port {port} is not published on the host (use -p or -P; published: {found}). Ports are published when the container is created: `docker rm -f {name}` first, then `docker run` it again with `{publish}`",
      ),
      hostPort: t(
        '容器 {name} 的 {port} 端口映射到了主机的 {found}，应该是 {want}。端口映射只能在创建容器时设定：先 `docker rm -f {name}`，再用 `{publish}` 重新 `docker run`',
        "container {name}'s port {port} is published on host port {found}, expected {want}. Ports are published when the container is created: `docker rm -f {name}` first, then `docker run` it again with `{publish}`",
      ),
      field,
      update: t(
        '容器 {name} 的 {field} 是 {found}，应该是 {want}。运行中的容器可以直接改：`docker update {option} {name}`',
        "container {name}'s {field} is {found}, expected {want}. A running container can be changed in place: `docker update {option} {name}`",
      ),
      link: t(
        '容器 {name} 没有 --link {want}（现在的 link：{found}）。link 只能在创建容器时设定：先 `docker rm -f {name}`，再加上 `--link {want}` 重新 `docker run`',
        'container {name} has no --link {want} (links: {found}). Links are set when the container is created: `docker rm -f {name}` first, then `docker run` it again with `--link {want}`',
      ),
      network: t(
        '容器 {name} 没有连到网络 {want}（现在连着：{found}）：`docker network connect {want} {name}` 可以把它接上',
        'container {name} is not attached to network {want} (attached to: {found}): `docker network connect {want} {name}` attaches it',
      ),
      ip: t(
        '容器 {name} 的 IP 是 {found}，应该在 {want} 里',
        "container {name}'s IP is {found}, expected within {want}",
      ),
    },
    example: 'container: { image: nginx, running: true, ports: [{ container: 80, host: 8080 }] }',
    reads: ['containers', 'images'],
    readsBaseline: true,
  },
  (p, ctx) => {
    const state = stateOf(ctx);
    const what = p.name
      ? t(`容器 ${p.name}`, `container ${p.name}`)
      : t(`镜像 ${p.image} 的容器`, `container of image ${p.image}`);
    if (!state.docker.running)
      return [p.exists ? fail('dockerDown', { error: state.docker.error ?? '' }) : ok('gone', { what })];
    const picked = state.docker.containers.filter((c) =>
      p.name ? c.name === p.name : containerOfImage(state, c, p.image!),
    );
    if (!p.exists) {
      if (picked.length) return [fail('present', { what, found: picked[0]!.status })];
      // Renamed is not removed: the containers that answered to this condition when the step
      // began must be gone by id, whatever they are called now.
      const before = baselineOf(ctx)?.docker.containers.filter((c) =>
        p.name ? c.name === p.name : containerOfImage(baselineOf(ctx)!, c, p.image!),
      );
      const still = state.docker.containers.find((c) => before?.some((b) => b.id === c.id));
      if (still) return [fail('renamed', { what, name: still.name })];
      return [ok('gone', { what })];
    }
    if (picked.length === 0)
      return [
        p.name
          ? fail('noContainer', {
              container: p.name,
              found: list(state.docker.containers.map((c) => c.name)),
            })
          : fail('missing', {
              what,
              found: list(state.docker.containers.map((c) => `${c.name} (${c.image})`)),
            }),
      ];
    // Any one matching container will do; if none does, explain the newest one.
    const tried = picked
      .map((c) => ({ c, problems: problems(state, c, p, baseOf(ctx, c)) }))
      .sort((a, b) => b.c.created.localeCompare(a.c.created));
    const good = tried.find((x) => x.problems.length === 0);
    if (good) return [ok('ok', { name: good.c.name, status: good.c.status })];
    return tried.sort((a, b) => a.problems.length - b.problems.length)[0]!.problems;
  },
);

/** The snapshot of the condition's host when the step began, when the caller kept one. */
function baselineOf(ctx: CheckContext): HostState | undefined {
  return ctx.baseline?.[ctx.host];
}

/** The container of the same name when the step began. */
function baseOf(ctx: CheckContext, c: Container): Container | undefined {
  return baselineOf(ctx)?.docker.containers.find((b) => b.name === c.name);
}

/** Docker's zero time (`0001-01-01T00:00:00Z`) means "never". */
const never = (ts: string): boolean => !ts || ts.startsWith('0001-');

/** Whether the container has ever run: Docker sets State.StartedAt on the first start and keeps it. */
export function hasStarted(c: Container): boolean {
  return !never(c.startedAt);
}

/**
 * Why the container does not count as restarted, or undefined when it does: it runs, it had
 * stopped before (State.FinishedAt is set, and earlier than this start), and, when the step's start
 * state is known, it is the very container of that name then (same id) and started since.
 */
function restartedWhy(c: Container, base: Container | undefined): Report | undefined {
  const name = c.name;
  if (base && base.id !== c.id) return fail('replaced', { name, found: short(c.id), want: short(base.id) });
  if (!c.running) return fail('notRunning', { name, status: c.status });
  if (never(c.finishedAt) || Date.parse(c.finishedAt) > Date.parse(c.startedAt))
    return fail('notRestarted', {
      name,
      why: t('它还没有停止过', 'it has never stopped'),
    });
  if (base && !(Date.parse(c.startedAt) > Date.parse(base.startedAt)))
    return fail('notRestarted', {
      name,
      why: t(`它从 ${base.startedAt} 一直运行到现在`, `it has been running since ${base.startedAt}`),
    });
  return undefined;
}
const short = (id: string): string => id.replace('sha256:', '').slice(0, 12);

function problems(state: HostState, c: Container, p: P, base?: Container): Report[] {
  const out: Report[] = [];
  const name = c.name;
  const status = t(`状态 ${c.status}，退出码 ${c.exitCode}`, `status ${c.status}, exit code ${c.exitCode}`);
  const yes = t('', '');
  const no = t('没有', 'not ');
  if (p.name && p.image && !containerOfImage(state, c, p.image))
    out.push(fail('image', { name, found: c.image, want: p.image }));
  if (p.running === true && !c.running) out.push(fail('notRunning', { name, status }));
  if (p.running === false && c.running) out.push(fail('running', { name }));
  const started = hasStarted(c);
  if ((p.started || p.exitCode !== undefined || p.restarted) && !started && !c.running)
    out.push(fail('neverStarted', { name }));
  if (p.started === false && started)
    out.push(
      fail('field', {
        name,
        field: 'State.StartedAt',
        found: c.startedAt,
        want: t('（从未启动）', '(never started)'),
      }),
    );
  if (p.restarted) {
    const why = restartedWhy(c, base);
    if (why) out.push(why);
  }
  if (p.exitCode !== undefined && !c.running && started && c.exitCode !== p.exitCode)
    out.push(fail('exitCode', { name, found: c.exitCode, want: p.exitCode }));
  if (p.exitCode !== undefined && c.running && p.running === undefined) out.push(fail('running', { name }));
  if (p.tty !== undefined && c.tty !== p.tty)
    out.push(
      fail('tty', {
        name,
        found: c.tty ? yes : no,
        want: p.tty ? t('分配终端', 'one') : t('不分配终端', 'none'),
        fix: p.tty
          ? t('加上 `-t`（通常写成 `-it`）', 'with `-t` (usually `-it`)')
          : t('去掉 `-t`', 'without `-t`'),
      }),
    );
  // Docker binds each port on 0.0.0.0 and on ::, with the same host port: say each once.
  const published = [
    ...new Set(Object.entries(c.ports).flatMap(([k, bs]) => bs.map((b) => `${b.hostPort}->${k}`))),
  ];
  for (const want of p.ports ?? []) {
    const binds = c.ports[`${want.container}/${want.protocol}`] ?? [];
    const port = `${want.container}/${want.protocol}`;
    const publish = `-p ${want.host !== undefined ? `${want.host}:` : ''}${want.container}${want.protocol === 'udp' ? '/udp' : ''}`;
    if (binds.length === 0) out.push(fail('port', { name, port, found: list(published), publish }));
    else if (want.host !== undefined && !binds.some((b) => b.hostPort === want.host))
      out.push(
        fail('hostPort', {
          name,
          port,
          found: [...new Set(binds.map((b) => b.hostPort))].join(', '),
          want: want.host,
          publish,
        }),
      );
  }
  for (const e of p.exposedPorts ?? [])
    if (!c.exposedPorts.includes(e.includes('/') ? e : `${e}/tcp`))
      out.push(fail('field', { name, field: 'ExposedPorts', found: list(c.exposedPorts), want: e }));
  for (const [k, v] of Object.entries(p.labels ?? {}))
    if (c.labels[k] !== v)
      out.push(
        fail('field', { name, field: `label ${k}`, found: c.labels[k] ?? t('（没有）', '(none)'), want: v }),
      );
  for (const [k, v] of Object.entries(p.env ?? {}))
    if (c.env[k] !== v)
      out.push(
        fail('field', { name, field: `env ${k}`, found: c.env[k] ?? t('（没有）', '(none)'), want: v }),
      );
  if (p.networkMode !== undefined && !sameMode(state, c.networkMode, p.networkMode))
    out.push(fail('field', { name, field: 'NetworkMode', found: c.networkMode, want: p.networkMode }));
  for (const n of p.networks ?? [])
    if (!(n in c.networks))
      out.push(fail('network', { name, want: n, found: list(Object.keys(c.networks)) }));
  const links = linkPairs(c);
  for (const l of p.links ?? []) {
    const want = l.includes(':') ? l : `${l}:${l}`;
    if (!links.includes(want)) out.push(fail('link', { name, want: l, found: list(links) }));
  }
  if (p.ip) {
    const ips = Object.values(c.networks)
      .map((n) => n.ip)
      .filter(Boolean);
    if (!ips.some((ip) => inSubnet(ip, p.ip!))) out.push(fail('ip', { name, found: list(ips), want: p.ip }));
  }
  // Limits and the restart policy are the settings `docker update` changes in place.
  if (p.memory !== undefined && c.memory !== parseBytes(p.memory))
    out.push(
      fail('update', {
        name,
        field: 'Memory',
        found: c.memory,
        want: `${p.memory} (${parseBytes(p.memory)})`,
        // --memory-swap must not be below --memory, and a container made with --memory has one
        // already (twice the memory): docker update --memory alone above it fails.
        option: `--memory ${p.memory} --memory-swap ${twice(p.memory)}`,
      }),
    );
  if (p.cpuShares !== undefined && c.cpuShares !== p.cpuShares)
    out.push(
      fail('update', {
        name,
        field: 'CpuShares',
        found: c.cpuShares,
        want: p.cpuShares,
        option: `--cpu-shares ${p.cpuShares}`,
      }),
    );
  if (p.cmd && JSON.stringify(c.cmd) !== JSON.stringify(p.cmd))
    out.push(
      fail('field', { name, field: 'Cmd', found: JSON.stringify(c.cmd), want: JSON.stringify(p.cmd) }),
    );
  if (p.restart !== undefined && c.restartPolicy !== p.restart)
    out.push(
      fail('update', {
        name,
        field: 'RestartPolicy',
        found: c.restartPolicy || 'no',
        want: p.restart,
        option: `--restart ${p.restart}`,
      }),
    );
  return out;
}

/** `container:base` is stored with base's id or name; compare by the container it points at. */
function sameMode(state: HostState, found: string, want: string): boolean {
  if (found === want) return true;
  if (found === 'default' && want === 'bridge') return true;
  if (!found.startsWith('container:') || !want.startsWith('container:')) return false;
  const ref = (m: string): string | undefined => {
    const r = m.slice('container:'.length);
    return state.docker.containers.find((c) => c.name === r || c.id.startsWith(r))?.id;
  };
  return ref(found) !== undefined && ref(found) === ref(want);
}
