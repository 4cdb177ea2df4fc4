import { z } from 'zod';
import { defineKind, fail, ok, sh, stateOf } from '../kind.ts';
import { t } from '../render.ts';

const schema = z.strictObject({
  key: z
    .string()
    .regex(/^[a-z0-9_.\-/]+$/i, 'a sysctl key such as net.ipv4.ip_forward')
    .describe('e.g. `net.ipv4.ip_forward`.'),
  value: z.union([z.string(), z.number()]).transform(String),
  netns: z
    .string()
    .min(1)
    .optional()
    .describe('Read it inside this netns (network sysctls are per namespace).'),
});

export default defineKind(
  {
    id: 'sysctl',
    description: t(
      '内核参数（sysctl）是期望的值，例如 net.ipv4.ip_forward',
      'a kernel parameter (sysctl) has the given value, e.g. net.ipv4.ip_forward',
    ),
    schema,
    messages: {
      ok: t('{key} = {value}', '{key} = {value}'),
      value: t('{key} 现在是 {found}，应该是 {want}', '{key} is {found}, expected {want}'),
      unreadable: t('读不到内核参数 {key}：{error}', 'the kernel parameter {key} could not be read: {error}'),
    },
    example: 'sysctl: { key: net.ipv4.ip_forward, value: 1 }',
    reads: ['sysctl'],
    probes: ['sysctl'],
  },
  async (p, ctx) => {
    // Common keys come with the snapshot; others (or inside a netns) cost one probe.
    let found = p.netns ? undefined : stateOf(ctx).sysctl[p.key];
    if (found === undefined) {
      const enter = p.netns ? `ip netns exec ${sh(p.netns)} ` : '';
      const r = await ctx.exec(ctx.host, `${enter}sysctl -n ${sh(p.key)}`, 10_000);
      if (r.code !== 0)
        return [fail('unreadable', { key: p.key, error: r.stderr.trim() || `exit ${r.code}` })];
      found = r.stdout.trim().split(/\s+/).join(' ');
    }
    return found === p.value
      ? [ok('ok', { key: p.key, value: found })]
      : [fail('value', { key: p.key, found, want: p.value })];
  },
);
