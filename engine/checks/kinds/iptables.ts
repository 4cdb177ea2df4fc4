import { z } from 'zod';
import type { IptablesRule } from '../../inspect/types.ts';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { list, t } from '../render.ts';
import type { Report } from '../types.ts';

const ruleFields = z.strictObject({
  protocol: z.string().optional(),
  source: z.string().optional(),
  destination: z.string().optional(),
  in: z.string().optional(),
  out: z.string().optional(),
  dport: z.union([z.string(), z.number()]).optional(),
  sport: z.union([z.string(), z.number()]).optional(),
  target: z.string().optional(),
  toDestination: z.string().optional(),
  toSource: z.string().optional(),
  ctstate: z.string().optional(),
});
type RuleParams = z.infer<typeof ruleFields>;

const schema = z
  .strictObject({
    table: z.enum(['filter', 'nat']).default('filter'),
    chain: z.string().min(1),
    rule: ruleFields
      .optional()
      .describe(
        'Fields a rule must have (others may be anything): protocol, source, destination, in, out, dport, sport, target, toDestination, toSource, ctstate. `a|b` accepts either (`target: DROP|REJECT`).',
      ),
    exists: z.boolean().default(true),
    policy: z
      .enum(['ACCEPT', 'DROP'])
      .optional()
      .describe("The chain's default policy (built-in chains only)."),
  })
  .refine((p) => p.rule || p.policy, { message: 'give `rule` (fields a rule must have) or `policy`' });

/** iptables-save prints `-s 10.0.0.2/32` and `-p tcp`; learners write `10.0.0.2` and `TCP`. */
function same(key: keyof RuleParams, found: string | undefined, want: string | number): boolean {
  if (found === undefined) return false;
  // `DROP|REJECT`: any of these will do (equivalent answers).
  const alts = String(want).split('|');
  if (alts.length > 1) return alts.some((a) => same(key, found, a));
  const w = String(want);
  if (key === 'source' || key === 'destination') return found.replace(/\/32$/, '') === w.replace(/\/32$/, '');
  if (key === 'protocol' || key === 'ctstate') return found.toLowerCase() === w.toLowerCase();
  return found === w;
}

export const matches = (r: IptablesRule, want: RuleParams): boolean =>
  Object.entries(want).every(
    ([k, v]) => v === undefined || same(k as keyof RuleParams, r[k as keyof IptablesRule], v),
  );

const describe = (want: RuleParams): string =>
  Object.entries(want)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');

export default defineKind(
  {
    id: 'iptables',
    description: t(
      'iptables 的 filter 或 nat 表里某条链有（或没有）这样的规则，或者默认策略符合要求',
      'a chain of the iptables filter or nat table has (or lacks) such a rule, or has the given policy',
    ),
    schema,
    messages: {
      ok: t(
        '{table} 表的 {chain} 链里有规则：{rule}',
        'the {chain} chain of the {table} table has the rule: {rule}',
      ),
      gone: t(
        '{table} 表的 {chain} 链里已经没有 {want} 这样的规则了',
        'the {chain} chain of the {table} table no longer has a rule like {want}',
      ),
      present: t(
        '{table} 表的 {chain} 链里还有规则 {rule}，它应该已经删掉了',
        'the {chain} chain of the {table} table still has {rule}; it should have been deleted',
      ),
      missing: t(
        '{table} 表的 {chain} 链里没有 {want} 这样的规则（这条链现在的规则：{found}）',
        'the {chain} chain of the {table} table has no rule like {want} (its rules: {found})',
      ),
      noChain: t(
        '{table} 表里没有 {chain} 链（现有的链：{found}）',
        'the {table} table has no chain {chain} (chains: {found})',
      ),
      policy: t(
        '{table} 表的 {chain} 链默认策略是 {found}，应该是 {want}',
        'the {chain} chain of the {table} table has policy {found}, expected {want}',
      ),
      policyOk: t(
        '{table} 表的 {chain} 链默认策略是 {want}',
        'the {chain} chain of the {table} table has policy {want}',
      ),
      unavailable: t(
        '读不到 iptables 规则（iptables-save 失败）',
        'the iptables rules could not be read (iptables-save failed)',
      ),
    },
    example: 'iptables: { table: nat, chain: DOCKER, rule: { protocol: tcp, dport: 8080, target: DNAT } }',
    reads: ['iptables'],
  },
  (p, ctx) => {
    const ipt = stateOf(ctx).iptables;
    if (!ipt.available) return [fail('unavailable')];
    const base = { table: p.table, chain: p.chain };
    const chains = ipt.policies.filter((x) => x.table === p.table);
    const chain = chains.find((x) => x.chain === p.chain);
    if (!chain)
      return p.exists || p.policy
        ? [fail('noChain', { ...base, found: list(chains.map((x) => x.chain)) })]
        : [ok('gone', { ...base, want: describe(p.rule ?? {}) })];
    const out: Report[] = [];
    if (p.policy)
      out.push(
        chain.policy === p.policy
          ? ok('policyOk', { ...base, want: p.policy })
          : fail('policy', { ...base, found: chain.policy, want: p.policy }),
      );
    if (p.rule) {
      const rules = ipt.rules.filter((r) => r.table === p.table && r.chain === p.chain);
      const hit = rules.find((r) => matches(r, p.rule!));
      const want = describe(p.rule);
      if (p.exists)
        out.push(
          hit
            ? ok('ok', { ...base, rule: hit.raw })
            : fail('missing', {
                ...base,
                want,
                found: list(
                  rules.map((r) => r.raw),
                  6,
                ),
              }),
        );
      else out.push(hit ? fail('present', { ...base, rule: hit.raw }) : ok('gone', { ...base, want }));
    }
    return out;
  },
);
