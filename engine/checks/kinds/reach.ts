import { z } from 'zod';
import type { Container, HostState } from '../../inspect/types.ts';
import { defineKind, fail, ok, sh, stateOf } from '../kind.ts';
import { findContainer, placeMessages } from '../place.ts';
import { enter, fromLabel, fromSchema, probeHost } from '../probe.ts';
import { t } from '../render.ts';
import type { Text } from '../types.ts';

const schema = z.strictObject({
  from: fromSchema
    .optional()
    .describe('Where the probe starts: `{ netns: N }`, `{ container: C }`; omit for the host.'),
  to: z
    .union([
      z.string().min(1),
      z.strictObject({
        container: z.string().min(1),
        host: z
          .string()
          .regex(/^host\d+$/)
          .optional(),
      }),
    ])
    .describe(
      "An address, a name (resolved as the source would: its /etc/hosts, Docker's DNS, the host's), or a container.",
    ),
  port: z.number().int().min(1).max(65535).optional().describe('A TCP port to connect to instead of ping.'),
  reachable: z.boolean().default(true).describe('false: the step wants it blocked (icc=false, a DROP rule).'),
});

const ipv4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export default defineKind(
  {
    id: 'reach',
    description: t(
      '从主机、命名空间或容器能（或不能）ping 通一个地址，或连上它的 TCP 端口',
      'from the host, a netns or a container, an address answers (or not) to ping or on a TCP port',
    ),
    schema,
    messages: {
      ...placeMessages,
      // zh: {yes}/{no} are "ping 得通"/"ping 不通" or "连得上"/"连不上"; {target} names the address
      // (and the port): "容器 web（172.17.0.2）的 TCP 80 端口".
      ok: t('从{from} {yes} {target}', 'from {from}, {target} answers {how}'),
      blocked: t(
        '从{from} {no} {target}，和这一步要求的一样',
        'from {from}, {target} does not answer {how}, as this step wants',
      ),
      unreachable: t(
        '从{from} {no} {target}：{detail}',
        'from {from}, {target} does not answer {how}: {detail}',
      ),
      reachable: t(
        '从{from}还 {yes} {target}，这一步要求它不通',
        'from {from}, {target} still answers {how}; this step wants it blocked',
      ),
      unresolved: t('从{from}解析不出 {to} 的地址', 'from {from}, the name {to} does not resolve'),
      noTarget: t(
        '{to} 没有 IP 地址（容器没有运行，或者没有接入网络）',
        '{to} has no IP address (the container is not running or has no network)',
      ),
    },
    example: 'reach: { from: { netns: ns1 }, to: 192.168.0.12 }',
    active: true,
  },
  async (p, ctx) => {
    const runOn = probeHost(p.from, ctx.host);
    const state = ctx.states[runOn] ?? stateOf(ctx);
    const from = fromLabel(p.from, runOn, ctx.host);
    const e = enter(state, p.from);
    if ('report' in e) return [e.report];
    const toHost = typeof p.to === 'string' ? runOn : (p.to.host ?? ctx.host);
    const on = toHost === runOn ? t('', '') : t(`${toHost} 上的`, ` on ${toHost}`);
    const to =
      typeof p.to === 'string'
        ? p.to
        : t(`${on.zh}容器 ${p.to.container}`, `container ${p.to.container}${on.en}`);
    let ip = '';
    let resolve = '';
    if (typeof p.to !== 'string') {
      const target = ctx.states[toHost] ?? state;
      ip = containerIp(target, findContainer(target, p.to.container)) ?? '';
      if (!ip) return [fail('noTarget', { to })];
    } else if (ipv4.test(p.to)) ip = p.to;
    else
      resolve = resolver(state, p.to, e.pid, p.from && 'container' in p.from ? p.from.container : undefined);
    const how: Text = p.port ? t('', `on TCP port ${p.port}`) : t('', 'to ping');
    const [yes, no] = p.port ? [t('连得上', ''), t('连不上', '')] : [t('ping 得通', ''), t('ping 不通', '')];
    const probe = p.port
      ? `${e.prefix}timeout 5 bash -c 'exec 3<>/dev/tcp/'"$ip"'/${p.port}' 2>&1`
      : `${e.prefix}ping -c 2 -i 0.3 -W 2 -q "$ip" 2>&1 | tail -n 2`;
    const script = `${resolve || `ip=${sh(ip)}`}\necho "ip=$ip"\n[ -n "$ip" ] || exit 90\n${probe}\necho "rc=\${PIPESTATUS[0]}"`;
    const r = await ctx.exec(runOn, script, 20_000);
    const got = /ip=(\S*)/.exec(r.stdout)?.[1] ?? '';
    if (r.code === 90 || !got) return [fail('unresolved', { from, to })];
    const rc = Number(/rc=(\d+)/.exec(r.stdout)?.[1] ?? '1');
    const detail =
      r.stdout
        .split('\n')
        .filter((l) => l && !/^(ip|rc)=/.test(l))
        .join(' ')
        .trim()
        .slice(0, 200) || `exit ${rc}`;
    // The address in brackets only where the learner named something else (a container, a name).
    const [toZh, toEn] = typeof to === 'string' ? [to, to] : [to.zh, to.en];
    const target = t(
      `${toZh === got ? got : `${toZh}（${got}）`}${p.port ? `的 TCP ${p.port} 端口` : ''}`,
      toEn === got ? got : `${toEn} (${got})`,
    );
    const data = { from, to, ip: got, how, yes, no, target, detail };
    if (p.reachable) return [rc === 0 ? ok('ok', data) : fail('unreachable', data)];
    return [rc === 0 ? fail('reachable', data) : ok('blocked', data)];
  },
);

function containerIp(state: HostState, c: Container | undefined): string | undefined {
  if (!c) return undefined;
  const shared = /^container:(.+)$/.exec(c.networkMode)?.[1];
  if (shared) return containerIp(state, findContainer(state, shared));
  return Object.values(c.networks).find((n) => n.ip)?.ip;
}

/**
 * Bash that sets $ip the way the source would resolve the name: a container reads its own
 * /etc/hosts (--link), then Docker's embedded DNS (containers on a shared user-defined network, by
 * name or alias, looked up in the snapshot), then the host's resolver (host1, host2).
 */
function resolver(
  state: HostState,
  name: string,
  pid: number | undefined,
  fromContainer: string | undefined,
): string {
  let dns = '';
  const src = fromContainer ? findContainer(state, fromContainer) : undefined;
  if (src) {
    const user = Object.keys(src.networks).filter((n) => !['bridge', 'host', 'none'].includes(n));
    for (const c of state.docker.containers) {
      for (const n of user) {
        const e = c.networks[n];
        if (e?.ip && (c.name === name || e.aliases.includes(name))) dns ||= e.ip;
      }
    }
  }
  const lines = [];
  if (pid)
    lines.push(
      `ip=$(awk -v n=${sh(name)} '!/^#/{for(i=2;i<=NF;i++)if($i==n){print $1;exit}}' /proc/${pid}/root/etc/hosts 2>/dev/null)`,
    );
  else lines.push('ip=');
  if (dns) lines.push(`[ -n "$ip" ] || ip=${sh(dns)}`);
  // A container does not see the host's /etc/hosts: no fallback to the host's resolver there.
  if (!pid) lines.push(`[ -n "$ip" ] || ip=$(getent ahostsv4 ${sh(name)} | awk '{print $1; exit}')`);
  return lines.join('\n');
}
