/** Small helpers every kind uses: defining one with its types inferred, and building reports. */
import type { CheckKind, CheckMeta, CheckContext, Report } from './types.ts';

export function defineKind<P>(
  meta: CheckMeta<P>,
  check: (params: P, ctx: CheckContext) => Report[] | Promise<Report[]>,
): CheckKind<P> {
  return { meta, check };
}

export const ok = (messageId: string, data?: Report['data']): Report => ({ ok: true, messageId, data });
export const fail = (messageId: string, data?: Report['data']): Report => ({ ok: false, messageId, data });

/** The state of the condition's host; evaluate guarantees it exists. */
export function stateOf(ctx: CheckContext) {
  const s = ctx.states[ctx.host];
  if (!s)
    throw new Error(`no snapshot of host "${ctx.host}"; the lab has ${Object.keys(ctx.states).join(', ')}`);
  return s;
}

/** Shell-quotes one word for the probes active kinds send. */
export function sh(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
