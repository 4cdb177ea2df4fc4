import { z } from 'zod';
import { inSubnet } from '../ip.ts';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { list, t } from '../render.ts';
import type { Report } from '../types.ts';

const schema = z.strictObject({
  name: z.string().min(1),
  exists: z.boolean().default(true),
  driver: z.string().optional().describe('`bridge`, `overlay`, `macvlan`, ...'),
  subnet: z
    .string()
    .optional()
    .describe("The network's subnet, e.g. `10.10.0.0/24` (or an address inside it)."),
  internal: z.boolean().optional(),
  gateway: z.string().optional().describe("The subnet's gateway address (`--gateway`)."),
  options: z
    .record(z.string(), z.string())
    .optional()
    .describe(
      'Driver options it must have (`-o parent=eth0.10` is `{ parent: eth0.10 }`); others may be there too.',
    ),
  containers: z.array(z.string()).optional().describe('Containers that must be attached to it.'),
});

export default defineKind(
  {
    id: 'network',
    description: t(
      '有（或没有）这个 Docker 网络，并且驱动、子网、网关、选项和接入的容器符合要求',
      'a Docker network exists (or not) with the given driver, subnet, gateway, options and containers',
    ),
    schema,
    messages: {
      ok: t('网络 {name}（{driver}）符合要求', 'network {name} ({driver}) is as expected'),
      gone: t('网络 {name} 已经删除了', 'network {name} is gone'),
      present: t(
        '网络 {name} 还在，应该已经删除了',
        'network {name} is still there; it should have been removed',
      ),
      missing: t(
        '没有 Docker 网络 {name}（现有的网络：{found}）',
        'there is no Docker network {name} (networks: {found})',
      ),
      dockerDown: t(
        'dockerd 没有在运行，看不到任何网络（{error}）',
        'dockerd is not running, so no network can be seen ({error})',
      ),
      // A network's driver, subnet and internal flag are fixed when it is created.
      driver: t(
        '网络 {name} 的驱动是 {found}，应该是 {want}。驱动只能在创建网络时设定：先删掉连着它的容器，再 `docker network rm {name}`，然后用 `-d {want}` 重新 `docker network create`',
        'network {name} uses driver {found}, expected {want}. The driver is set when the network is created: remove the containers on it, `docker network rm {name}`, then `docker network create` it again with `-d {want}`',
      ),
      subnet: t(
        '网络 {name} 的子网是 {found}，应该是 {want}。子网只能在创建网络时设定：先删掉连着它的容器，再 `docker network rm {name}`，然后用 `--subnet {want}` 重新 `docker network create`',
        'network {name} has subnet {found}, expected {want}. The subnet is set when the network is created: remove the containers on it, `docker network rm {name}`, then `docker network create` it again with `--subnet {want}`',
      ),
      internal: t(
        '网络 {name} 的 internal 是 {found}，应该是 {want}。这一项只能在创建网络时设定：先删掉连着它的容器，再 `docker network rm {name}`，然后改好选项重新 `docker network create`',
        'network {name} has internal={found}, expected {want}. It is set when the network is created: remove the containers on it, `docker network rm {name}`, then `docker network create` it again with the right options',
      ),
      gateway: t(
        '网络 {name} 的网关是 {found}，应该是 {want}。网关只能在创建网络时设定：先删掉连着它的容器，再 `docker network rm {name}`，然后用 `--gateway {want}` 重新 `docker network create`',
        'network {name} has gateway {found}, expected {want}. The gateway is set when the network is created: remove the containers on it, `docker network rm {name}`, then `docker network create` it again with `--gateway {want}`',
      ),
      option: t(
        '网络 {name} 的选项 {option} 是 {found}，应该是 {want}。选项只能在创建网络时设定：先删掉连着它的容器，再 `docker network rm {name}`，然后用 `-o {option}={want}` 重新 `docker network create`',
        'network {name} has option {option}={found}, expected {want}. Options are set when the network is created: remove the containers on it, `docker network rm {name}`, then `docker network create` it again with `-o {option}={want}`',
      ),
      container: t(
        '容器 {container} 没有连到网络 {name}（连着它的容器：{found}）：`docker network connect {name} {container}` 可以把它接上',
        'container {container} is not attached to network {name} (attached: {found}): `docker network connect {name} {container}` attaches it',
      ),
    },
    example: 'network: { name: mynet, driver: bridge, containers: [alpha, beta] }',
    reads: ['networks', 'containers'],
  },
  (p, ctx) => {
    const state = stateOf(ctx);
    if (!state.docker.running)
      return [
        p.exists ? fail('dockerDown', { error: state.docker.error ?? '' }) : ok('gone', { name: p.name }),
      ];
    const net = state.docker.networks.find((n) => n.name === p.name || n.id.startsWith(p.name));
    if (!p.exists) return [net ? fail('present', { name: p.name }) : ok('gone', { name: p.name })];
    if (!net)
      return [fail('missing', { name: p.name, found: list(state.docker.networks.map((n) => n.name)) })];
    const out: Report[] = [];
    if (p.driver && net.driver !== p.driver)
      out.push(fail('driver', { name: p.name, found: net.driver, want: p.driver }));
    const subnets = net.subnets.map((s) => s.subnet);
    if (p.subnet && !subnets.some((s) => s === p.subnet || inSubnet(p.subnet!.split('/')[0]!, s)))
      out.push(fail('subnet', { name: p.name, found: list(subnets), want: p.subnet }));
    if (p.internal !== undefined && net.internal !== p.internal)
      out.push(fail('internal', { name: p.name, found: String(net.internal), want: String(p.internal) }));
    const gateways = net.subnets.map((s) => s.gateway).filter((g) => g);
    if (p.gateway && !gateways.includes(p.gateway))
      out.push(fail('gateway', { name: p.name, found: list(gateways), want: p.gateway }));
    for (const [option, want] of Object.entries(p.options ?? {}))
      if (net.options[option] !== want)
        out.push(
          fail('option', {
            name: p.name,
            option,
            want,
            found: net.options[option] ?? t('（没有）', '(none)'),
          }),
        );
    const attached = state.docker.containers.filter((c) => net.name in c.networks).map((c) => c.name);
    for (const c of p.containers ?? [])
      if (!attached.includes(c))
        out.push(fail('container', { name: p.name, container: c, found: list(attached) }));
    return out.length ? out : [ok('ok', { name: p.name, driver: net.driver })];
  },
);
