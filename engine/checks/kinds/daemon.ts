import { z } from 'zod';
import type { HostState } from '../../inspect/types.ts';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { hostNs } from '../place.ts';
import { list, t } from '../render.ts';
import type { Report } from '../types.ts';

const schema = z.strictObject({
  running: z.boolean().default(true),
  labels: z
    .array(z.string())
    .optional()
    .describe('Daemon labels (`docker info` → Labels), each `key=value`.'),
  debug: z.boolean().optional(),
  listen: z
    .array(z.string().regex(/^(tcp|unix):\/\//, 'tcp://ADDR:PORT or unix:///path'))
    .optional()
    .describe('Addresses dockerd listens on: `tcp://0.0.0.0:2375`, `unix:///var/run/docker.sock`.'),
  icc: z.boolean().optional().describe('Inter-container communication on the default bridge (`--icc`).'),
  bip: z.string().optional().describe("docker0's address, `--bip`, e.g. `192.168.200.1/24`."),
  registryMirrors: z.array(z.string()).optional(),
  bridge: z
    .string()
    .optional()
    .describe('The bridge the default network uses (`"bridge": "br0"` in daemon.json).'),
  fixedCidr: z
    .string()
    .optional()
    .describe('`--fixed-cidr`: the range default-bridge containers get addresses from.'),
  swarm: z
    .enum(['active', 'inactive', 'pending'])
    .optional()
    .describe('Swarm state of this node (`docker info` → Swarm).'),
  swarmManager: z.boolean().optional().describe('This node is a swarm manager.'),
  config: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('Keys that must be in /etc/docker/daemon.json with these values.'),
});

export default defineKind(
  {
    id: 'daemon',
    description: t(
      'dockerd 在运行（或已停止），并且它的配置（标签、debug、监听地址、icc、bip、daemon.json）符合要求',
      'dockerd is running (or stopped) with the given settings (labels, debug, listen addresses, icc, bip, daemon.json)',
    ),
    schema,
    messages: {
      ok: t('dockerd 的配置符合要求', 'dockerd is configured as expected'),
      stoppedOk: t('dockerd 已经停止了', 'dockerd is stopped'),
      stopped: t(
        'dockerd 没有在运行（{error}）：用 `systemctl status docker` 和 `journalctl -u docker` 看看原因',
        'dockerd is not running ({error}): see `systemctl status docker` and `journalctl -u docker`',
      ),
      running: t('dockerd 还在运行，应该已经停止', 'dockerd is still running; it should be stopped'),
      label: t(
        '`docker info` 的 Labels 里没有 {want}（现在有：{found}）。dockerd 只在启动时读配置：改好 /etc/docker/daemon.json 后要 `systemctl restart docker`',
        '`docker info` Labels lack {want} (they are: {found}). dockerd reads its configuration when it starts: after editing /etc/docker/daemon.json, `systemctl restart docker`',
      ),
      debug: t(
        '`docker info` 显示 Debug Mode 是 {found}，应该是 {want}。dockerd 只在启动时读配置：改好 /etc/docker/daemon.json 后要 `systemctl restart docker`',
        '`docker info` shows Debug Mode {found}, expected {want}. dockerd reads its configuration when it starts: after editing /etc/docker/daemon.json, `systemctl restart docker`',
      ),
      listen: t(
        'dockerd 没有监听 {want}（它在监听的 TCP 端口：{found}）。dockerd 只在启动时读配置（daemon.json 的 hosts，或启动参数 -H）：改好后要 `systemctl restart docker`',
        'dockerd does not listen on {want} (its TCP ports: {found}). dockerd reads its configuration (hosts in daemon.json, or -H) when it starts: `systemctl restart docker` after editing it',
      ),
      icc: t(
        '默认网桥的 icc 是 {found}，应该是 {want}。dockerd 只在启动时读配置：改好 /etc/docker/daemon.json 后要 `systemctl restart docker`',
        'icc on the default bridge is {found}, expected {want}. dockerd reads its configuration when it starts: after editing /etc/docker/daemon.json, `systemctl restart docker`',
      ),
      bip: t(
        'docker0 的地址是 {found}，应该是 {want}。dockerd 只在启动时读配置：改好 /etc/docker/daemon.json 后要 `systemctl restart docker`',
        "docker0's address is {found}, expected {want}. dockerd reads its configuration when it starts: after editing /etc/docker/daemon.json, `systemctl restart docker`",
      ),
      mirror: t(
        '`docker info` 的 Registry Mirrors 里没有 {want}（现在有：{found}）。dockerd 只在启动时读配置：改好 /etc/docker/daemon.json 后要 `systemctl restart docker`',
        '`docker info` Registry Mirrors lack {want} (they are: {found}). dockerd reads its configuration when it starts: after editing /etc/docker/daemon.json, `systemctl restart docker`',
      ),
      bridge: t(
        '默认网络用的网桥是 {found}，应该是 {want}。dockerd 只在启动时读配置：改好 /etc/docker/daemon.json 后要 `systemctl restart docker`',
        'the default network uses bridge {found}, expected {want}. dockerd reads its configuration when it starts: after editing /etc/docker/daemon.json, `systemctl restart docker`',
      ),
      fixedCidr: t(
        '默认网络分配地址的范围（fixed-cidr）是 {found}，应该是 {want}。dockerd 只在启动时读配置：改好 /etc/docker/daemon.json 后要 `systemctl restart docker`',
        'the default network hands out addresses from {found} (fixed-cidr), expected {want}. dockerd reads its configuration when it starts: after editing /etc/docker/daemon.json, `systemctl restart docker`',
      ),
      swarm: t(
        '这台主机的 Swarm 状态是 {found}，应该是 {want}（加入用 `docker swarm join`；已经在另一个 swarm 里，先 `docker swarm leave --force`）',
        "this host's swarm state is {found}, expected {want} (join with `docker swarm join`; in another swarm already? `docker swarm leave --force` first)",
      ),
      swarmManager: t(
        '这台主机{found}是 Swarm 管理节点，应该{want}',
        'this host is {found}a swarm manager; expected {want}',
      ),
      config: t(
        '/etc/docker/daemon.json 里 {key} 是 {found}，应该是 {want}',
        '/etc/docker/daemon.json has {key} = {found}, expected {want}',
      ),
      badJson: t(
        '/etc/docker/daemon.json 不是合法的 JSON：{error}',
        '/etc/docker/daemon.json is not valid JSON: {error}',
      ),
    },
    example: 'daemon: { debug: true, labels: [course=dockerlab] }',
    reads: ['daemonInfo', 'daemonJson', 'sockets', 'namespaces', 'networks'],
  },
  (p, ctx) => {
    const state = stateOf(ctx);
    const d = state.docker;
    if (!p.running) return [d.running ? fail('running') : ok('stoppedOk')];
    const out: Report[] = [];
    const dj = d.daemonJson;
    if (p.config) {
      if (dj.error) out.push(fail('badJson', { error: dj.error }));
      else
        for (const [key, want] of Object.entries(p.config)) {
          const found = dj.config?.[key];
          if (JSON.stringify(found) !== JSON.stringify(want))
            out.push(
              fail('config', {
                key,
                found: found === undefined ? t('（没有）', '(unset)') : JSON.stringify(found),
                want: JSON.stringify(want),
              }),
            );
        }
    }
    if (!d.running || !d.info) return [fail('stopped', { error: d.error ?? '?' }), ...out];
    for (const l of p.labels ?? [])
      if (!d.info.labels.includes(l)) out.push(fail('label', { want: l, found: list(d.info.labels) }));
    if (p.debug !== undefined && d.info.debug !== p.debug)
      out.push(fail('debug', { found: String(d.info.debug), want: String(p.debug) }));
    for (const m of p.registryMirrors ?? [])
      if (!d.info.registryMirrors.some((x) => x.replace(/\/$/, '') === m.replace(/\/$/, '')))
        out.push(fail('mirror', { want: m, found: list(d.info.registryMirrors) }));
    for (const l of p.listen ?? [])
      if (!listens(state, l)) out.push(fail('listen', { want: l, found: list(dockerdPorts(state)) }));
    if (p.icc !== undefined) {
      const bridge = d.networks.find((n) => n.name === 'bridge');
      const icc = bridge?.options['com.docker.network.bridge.enable_icc'] !== 'false';
      if (icc !== p.icc) out.push(fail('icc', { found: String(icc), want: String(p.icc) }));
    }
    const bridgeNet = d.networks.find((n) => n.name === 'bridge');
    if (p.bridge !== undefined) {
      const found = bridgeNet?.options['com.docker.network.bridge.name'] ?? 'docker0';
      if (found !== p.bridge) out.push(fail('bridge', { found, want: p.bridge }));
    }
    if (p.fixedCidr !== undefined) {
      const ranges = (bridgeNet?.subnets ?? []).map((s) => s.ipRange).filter(Boolean);
      if (!ranges.includes(p.fixedCidr))
        out.push(fail('fixedCidr', { found: list(ranges), want: p.fixedCidr }));
    }
    if (p.swarm !== undefined && d.info.swarm !== p.swarm)
      out.push(fail('swarm', { found: d.info.swarm || '?', want: p.swarm }));
    if (p.swarmManager !== undefined && d.info.swarmManager !== p.swarmManager) {
      out.push(
        fail('swarmManager', {
          found: d.info.swarmManager ? t('', '') : t('不', 'not '),
          want: p.swarmManager ? t('是', 'a manager') : t('不是', 'not a manager'),
        }),
      );
    }
    if (p.bip) {
      const addrs =
        hostNs(state)
          .links.find((l) => l.name === 'docker0')
          ?.addrs.filter((a) => !a.includes(':')) ?? [];
      const hit = p.bip.includes('/') ? addrs.includes(p.bip) : addrs.some((a) => a.split('/')[0] === p.bip);
      if (!hit) out.push(fail('bip', { found: list(addrs), want: p.bip }));
    }
    return out.length ? out : [ok('ok')];
  },
);

function dockerdPorts(state: HostState): string[] {
  return state.sockets
    .filter((s) => s.proto === 'tcp' && s.processes.some((p) => p.name === 'dockerd'))
    .map((s) => `${s.addr}:${s.port}`);
}

function listens(state: HostState, url: string): boolean {
  if (url.startsWith('unix://')) return url === 'unix:///var/run/docker.sock' ? state.docker.running : false;
  const m = /^tcp:\/\/(.+):(\d+)$/.exec(url);
  if (!m) return false;
  const [, addr, port] = m;
  const any = ['0.0.0.0', '*', '::', ''];
  return state.sockets.some(
    (s) =>
      s.proto === 'tcp' &&
      s.port === Number(port) &&
      s.processes.some((p) => p.name === 'dockerd') &&
      (s.addr === addr || (any.includes(s.addr) && any.includes(addr!))),
  );
}
