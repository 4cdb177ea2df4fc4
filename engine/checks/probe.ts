/** How active kinds run a probe "from" a place: a lab host, a named netns, or a container's namespace. */
import { z } from 'zod';
import type { HostState } from '../inspect/types.ts';
import { sh } from './kind.ts';
import { findPlace } from './place.ts';
import { t } from './render.ts';
import type { Report, Text } from './types.ts';

/** `host` names the lab host the probe runs on (default: the condition's host); `true` means "that host itself". */
const onHost = z
  .union([z.literal(true), z.string().regex(/^host\d+$/, 'a lab host such as host2')])
  .optional();
export const fromSchema = z.union([
  z.strictObject({ netns: z.string().min(1), host: onHost }),
  z.strictObject({ container: z.string().min(1), host: onHost }),
  z.strictObject({ host: onHost }),
]);
export type From = z.infer<typeof fromSchema>;

export function probeHost(f: From | undefined, defaultHost: string): string {
  return typeof f?.host === 'string' ? f.host : defaultHost;
}

export function fromLabel(f: From | undefined, host: string, defaultHost: string): Text {
  const on = host === defaultHost ? t('', '') : t(`${host} 上的`, ` on ${host}`);
  if (f && 'netns' in f) return t(`${on.zh}命名空间 ${f.netns}`, `netns ${f.netns}${on.en}`);
  if (f && 'container' in f) return t(`${on.zh}容器 ${f.container}`, `container ${f.container}${on.en}`);
  return host === defaultHost ? t('主机', 'the host') : t(`主机 ${host}`, `host ${host}`);
}

/**
 * The command prefix that runs the rest in that network namespace, using the host's tools (a
 * container may have no ping or curl), or a report saying why it cannot.
 */
export function enter(
  state: HostState,
  f: From | undefined,
): { prefix: string; pid?: number } | { report: Report } {
  if (!f || !('netns' in f || 'container' in f)) return { prefix: '' };
  const found = findPlace(state, f);
  if (found.report) return { report: found.report };
  if ('netns' in f) return { prefix: `nsenter --net=/run/netns/${sh(f.netns)} ` };
  const pid = found.container!.pid;
  return { prefix: `nsenter -t ${pid} -n `, pid };
}
