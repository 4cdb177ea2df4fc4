/** How active kinds run a probe "from" a place: the host, a named netns, or a container's namespace. */
import { z } from 'zod';
import type { HostState } from '../inspect/types.ts';
import { sh } from './kind.ts';
import { findContainer, containerNames } from './place.ts';
import { fail } from './kind.ts';
import { list, t } from './render.ts';
import type { Report, Text } from './types.ts';

export const fromSchema = z.union([
  z.strictObject({ netns: z.string().min(1) }),
  z.strictObject({ container: z.string().min(1) }),
  z.strictObject({ host: z.literal(true) }),
]);
export type From = z.infer<typeof fromSchema>;

export function fromLabel(f: From | undefined): Text {
  if (f && 'netns' in f) return t(`命名空间 ${f.netns}`, `netns ${f.netns}`);
  if (f && 'container' in f) return t(`容器 ${f.container}`, `container ${f.container}`);
  return t('主机', 'the host');
}

/**
 * The command prefix that runs the rest in that network namespace, using the host's tools (a
 * container may have no ping or curl), or a report saying why it cannot.
 */
export function enter(
  state: HostState,
  f: From | undefined,
): { prefix: string; pid?: number } | { report: Report } {
  if (!f || 'host' in f) return { prefix: '' };
  if ('netns' in f) {
    if (!state.namespaces.some((n) => n.names.includes(f.netns)))
      return {
        report: fail('noNetns', { netns: f.netns, found: list(state.namespaces.flatMap((n) => n.names)) }),
      };
    return { prefix: `nsenter --net=/run/netns/${sh(f.netns)} ` };
  }
  const c = findContainer(state, f.container);
  if (!c)
    return { report: fail('noContainer', { container: f.container, found: list(containerNames(state)) }) };
  if (!c.running || !c.pid) return { report: fail('containerStopped', { container: f.container }) };
  return { prefix: `nsenter -t ${c.pid} -n `, pid: c.pid };
}
