/**
 * "Where" in a condition: a named netns, a container's namespace, or (neither) the host's own.
 * Kinds that take a place spread `placeFields` into their schema and `placeMessages` into theirs.
 */
import { z } from 'zod';
import type { Container, HostState, NetNamespace } from '../inspect/types.ts';
import { fail } from './kind.ts';
import { list, t } from './render.ts';
import type { Report, Text } from './types.ts';

export const placeFields = {
  netns: z.string().min(1).optional().describe('A name from `ip netns list`.'),
  container: z.string().min(1).optional().describe('A container name (or id prefix): its network namespace.'),
};
export interface PlaceParams {
  netns?: string | undefined;
  container?: string | undefined;
}

export const placeMessages = {
  noNetns: t(
    '没有命名空间 {netns}（`ip netns list` 里有：{found}）',
    'there is no netns {netns} (`ip netns list` shows: {found})',
  ),
  noContainer: t(
    '没有名为 {container} 的容器（现有的容器：{found}）',
    'there is no container named {container} (containers: {found})',
  ),
  containerStopped: t(
    '容器 {container} 没有在运行，它没有自己的网络命名空间',
    'container {container} is not running, so it has no network namespace',
  ),
};

export function findContainer(state: HostState, ref: string): Container | undefined {
  const cs = state.docker.containers;
  return (
    cs.find((c) => c.name === ref) ?? (ref.length >= 4 ? cs.find((c) => c.id.startsWith(ref)) : undefined)
  );
}

/**
 * The container a condition names, or the report that says why there is none: the one "find the
 * container or fail" every kind with a `container:` parameter shares (`running` also refuses a
 * stopped one, for kinds that need its namespaces or cgroup).
 */
export function pickContainer(
  state: HostState,
  ref: string,
  opts: { running?: boolean } = {},
): { c: Container; report?: undefined } | { c?: undefined; report: Report } {
  const c = findContainer(state, ref);
  if (!c) return { report: fail('noContainer', { container: ref, found: list(containerNames(state)) }) };
  if (opts.running && !c.running) return { report: fail('containerStopped', { container: ref }) };
  return { c };
}

export function containerNames(state: HostState): string[] {
  return state.docker.containers.map((c) => c.name);
}

/** The words for a place as the instructor wrote it ("ns1" / "容器 box" / "主机"). */
export function placeLabel(p: PlaceParams): Text {
  if (p.netns) return t(`命名空间 ${p.netns}`, `netns ${p.netns}`);
  if (p.container) return t(`容器 ${p.container} 的命名空间`, `container ${p.container}'s namespace`);
  return t('主机的命名空间', 'the host namespace');
}

/** The words for a namespace as found in the snapshot. */
export function nsLabel(ns: NetNamespace | undefined): Text {
  if (!ns) return t('一个找不到的命名空间', 'a namespace that could not be found');
  if (ns.host) return t('主机的命名空间', 'the host namespace');
  if (ns.names[0]) return t(`命名空间 ${ns.names[0]}`, `netns ${ns.names[0]}`);
  if (ns.containers[0])
    return t(`容器 ${ns.containers[0]} 的命名空间`, `container ${ns.containers[0]}'s namespace`);
  return t(
    `一个未命名的命名空间（进程 ${ns.pids[0] ?? '?'}）`,
    `an unnamed namespace (process ${ns.pids[0] ?? '?'})`,
  );
}

export function hostNs(state: HostState): NetNamespace {
  return state.namespaces.find((n) => n.host) ?? state.namespaces[0]!;
}

export function nsById(state: HostState, id: number | null | undefined): NetNamespace | undefined {
  return id == null ? undefined : state.namespaces.find((n) => n.id === id);
}

export type Resolved =
  { ns: NetNamespace; label: Text; report?: undefined } | { ns?: undefined; label: Text; report: Report };

/** A place found in the snapshot: its namespace, and the container it belongs to when it is one's. */
export type Found =
  | { ns: NetNamespace; container?: Container; report?: undefined }
  | { ns?: undefined; container?: undefined; report: Report };

/** The one lookup of "where" every kind uses: a named netns, a running container's, or the host's. */
export function findPlace(state: HostState, p: PlaceParams): Found {
  if (p.netns) {
    const ns = state.namespaces.find((n) => n.names.includes(p.netns!));
    if (!ns)
      return {
        report: fail('noNetns', { netns: p.netns, found: list(state.namespaces.flatMap((n) => n.names)) }),
      };
    return { ns };
  }
  if (p.container) {
    const { c, report } = pickContainer(state, p.container, { running: true });
    if (report) return { report };
    const ns = nsById(state, c.netns);
    if (!ns || !c.pid) return { report: fail('containerStopped', { container: p.container }) };
    return { ns, container: c };
  }
  return { ns: hostNs(state) };
}

export function resolvePlace(state: HostState, p: PlaceParams): Resolved {
  const label = placeLabel(p);
  const f = findPlace(state, p);
  return f.report ? { label, report: f.report } : { ns: f.ns, label };
}
