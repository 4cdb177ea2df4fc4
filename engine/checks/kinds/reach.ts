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
      unresolvedOk: t(
        '从{from}连 {to} 这个名字都解析不出来，自然访问不到，和这一步要求的一样',
        'from {from}, the name {to} does not even resolve, so it cannot be reached, as this step wants',
      ),
      noTarget: t(
        '{to} 没有 IP 地址（容器没有运行，或者没有接入网络）',
        '{to} has no IP address (the container is not running or has no network)',
      ),
    },
    example: 'reach: { from: { netns: ns1 }, to: 192.168.0.12 }',
    reads: ['containers', 'namespaces'],
    probes: ['resolve', 'ping', 'tcp'],
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
    else resolve = resolver(p.to, e.pid, p.from && 'netns' in p.from ? p.from.netns : undefined);
    const how: Text = p.port ? t('', `on TCP port ${p.port}`) : t('', 'to ping');
    const [yes, no] = p.port ? [t('连得上', ''), t('连不上', '')] : [t('ping 得通', ''), t('ping 不通', '')];
    const probe = p.port
      ? `${e.prefix}timeout 5 bash -c 'exec 3<>/dev/tcp/'"$ip"'/${p.port}' 2>&1`
      : `${e.prefix}ping -c 2 -i 0.3 -W 2 -q "$ip" 2>&1 | tail -n 2`;
    const script = `${resolve || `ip=${sh(ip)}`}\necho "ip=$ip"\n[ -n "$ip" ] || exit 90\n${probe}\necho "rc=\${PIPESTATUS[0]}"`;
    const r = await ctx.exec(runOn, script, 20_000);
    const got = /ip=(\S*)/.exec(r.stdout)?.[1] ?? '';
    // A name the source cannot resolve cannot be reached either: what `reachable: false` asks.
    if (r.code === 90 || !got)
      return [p.reachable ? fail('unresolved', { from, to }) : ok('unresolvedOk', { from, to })];
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
 * An A query to each nameserver given, from whatever network namespace it runs in: with
 * `nsenter -t PID -n`, a container's own resolver (Docker's embedded DNS at 127.0.0.11 on
 * user-defined networks, which knows names, aliases and swarm services), as its libc would ask.
 */
const dnsQuery = String.raw`import socket,struct,sys,random
n=sys.argv[1]
rid=random.randrange(65536)
q=struct.pack(">HHHHHH",rid,256,1,0,0,0)+b"".join(bytes([len(p)])+p.encode() for p in n.split(".") if p)+b"\0"+struct.pack(">HH",1,1)
def skip(d,o):
    while d[o]:
        if d[o]>=192: return o+2
        o+=d[o]+1
    return o+1
for ns in sys.argv[2:]:
    try:
        s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.settimeout(2);s.sendto(q,(ns,53));d=s.recv(4096)
    except OSError:
        continue
    if struct.unpack(">H",d[:2])[0]!=rid: continue
    an=struct.unpack(">H",d[6:8])[0];o=skip(d,12)+4
    for _ in range(an):
        o=skip(d,o);t,c,ttl,l=struct.unpack(">HHIH",d[o:o+10]);o+=10
        if t==1 and l==4: print(socket.inet_ntoa(d[o:o+4]));sys.exit(0)
        o+=l
    sys.exit(0)`;

/**
 * Bash that sets $ip the way the source would resolve the name. A container: its own /etc/hosts
 * (--link), then the nameservers of its own /etc/resolv.conf asked from inside its network
 * namespace (Docker's embedded DNS on user-defined networks; the copied host servers on the
 * default bridge); it never sees the host's /etc/hosts. A named netns: `ip netns exec` (its
 * /etc/netns/NAME files). The host: getent.
 */
function resolver(name: string, pid: number | undefined, netns: string | undefined): string {
  if (pid)
    return [
      `ip=$(awk -v n=${sh(name)} '!/^#/{for(i=2;i<=NF;i++)if($i==n){print $1;exit}}' /proc/${pid}/root/etc/hosts 2>/dev/null)`,
      `[ -n "$ip" ] || ip=$(nsenter -t ${pid} -n python3 -c ${sh(dnsQuery)} ${sh(name)} $(awk '$1=="nameserver"{print $2}' /proc/${pid}/root/etc/resolv.conf 2>/dev/null) 2>/dev/null)`,
    ].join('\n');
  const enterNs = netns ? `ip netns exec ${sh(netns)} ` : '';
  return `ip=$(${enterNs}getent ahostsv4 ${sh(name)} | awk '{print $1; exit}')`;
}
