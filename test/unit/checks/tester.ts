/**
 * A RuleTester for check kinds: a table of valid and invalid cases over snapshots recorded from a
 * real sandbox (test/fixtures/states/*.json, made by scripts/record-states.ts). Active kinds replay
 * the exec results recorded with the snapshot; a probe that was never recorded fails the test.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { restrict } from '../../../engine/checks/evaluate.ts';
import { kinds, parseCondition } from '../../../engine/checks/index.ts';
import { render } from '../../../engine/checks/render.ts';
import type { CheckContext, Report } from '../../../engine/checks/types.ts';
import type { HostState } from '../../../engine/inspect/types.ts';
import type { ExecResult } from '../../../engine/sandbox/api.ts';

export interface Fixture {
  scenario: string;
  description: string;
  state: HostState;
  exec: { host: string; script: string; result: ExecResult }[];
}

const cache = new Map<string, Fixture>();
export function fixture(name: string): Fixture {
  let f = cache.get(name);
  if (!f) {
    f = JSON.parse(
      readFileSync(new URL(`../../fixtures/states/${name}.json`, import.meta.url), 'utf8'),
    ) as Fixture;
    cache.set(name, f);
  }
  // A fresh copy each time: a kind must not be able to change what the next case sees.
  return structuredClone(f);
}

/**
 * What is wrong with the spacing of a rendered zh message, by the convention all messages follow:
 * one space between Chinese and Latin, digits or `code`; none beside Chinese punctuation, between
 * two Chinese characters or at either end; never two. Empty when it is right.
 */
export function zhSpacing(zh: string): string[] {
  const rules: [RegExp, string][] = [
    [/[\u4e00-\u9fff][!-~]|[!-~][\u4e00-\u9fff]/, 'no space between Chinese and Latin'],
    [/[\u4e00-\u9fff] [\u4e00-\u9fff]/, 'a space between two Chinese characters'],
    [/ [，。：；、（）“”！？]|[，。：；、（）“”！？] /, 'a space beside Chinese punctuation'],
    [/^ | $| {2}/, 'a space at an end, or two in a row'],
  ];
  return rules.flatMap(([re, what]) => {
    const m = re.exec(zh);
    return m ? [`${what} at "${m[0]}" in "${zh}"`] : [];
  });
}

export interface Case {
  /** Fixture (scenario) name. */
  state: string;
  params: unknown;
  /** A name for the test; defaults to the params. */
  name?: string;
  /** Fixture of the state the step started from (CheckContext.baseline), when the case needs one. */
  baseline?: string;
}
export interface Invalid extends Case {
  messageId: string;
  /** Must match the rendered zh or en text of the report with that messageId. */
  message?: RegExp;
}

export async function run(
  kind: string,
  c: Case,
): Promise<{ reports: Report[]; texts: { zh: string; en: string }[] }> {
  const parsed = parseCondition(kind, c.params);
  if (!parsed.ok) throw new Error(`params of this case do not validate: ${parsed.errors.join('; ')}`);
  const f = fixture(c.state);
  const ctx: CheckContext = {
    host: parsed.host ?? 'host1',
    // Through the view evaluate gives a kind: reading a part the kind does not declare throws.
    states: { host1: restrict(f.state, parsed.kind.meta.reads, kind) },
    baseline: c.baseline
      ? { host1: restrict(fixture(c.baseline).state, parsed.kind.meta.reads, kind) }
      : undefined,
    exec: (host, script) => {
      const hit = f.exec.find((e) => e.host === host && e.script === script);
      if (!hit)
        throw new Error(
          `no exec recorded for this probe in ${c.state}.json; add it to test/fixtures/states/probes.ts and re-record:\n${script}`,
        );
      return Promise.resolve(hit.result);
    },
  };
  const reports = await parsed.kind.check(parsed.params, ctx);
  return { reports, texts: reports.map((r) => render(parsed.kind.meta.messages, r)) };
}

export function tableTest(kind: string, table: { valid: Case[]; invalid: Invalid[] }): void {
  describe(`check kind ${kind}`, () => {
    it('is registered', () => expect(kinds[kind]).toBeDefined());
    for (const c of table.valid) {
      it(`passes: ${c.name ?? JSON.stringify(c.params)} on ${c.state}${c.baseline ? ` from ${c.baseline}` : ''}`, async () => {
        const { reports, texts } = await run(kind, c);
        expect(reports.length).toBeGreaterThan(0);
        expect(reports.filter((r) => !r.ok).map((r, i) => `${r.messageId}: ${texts[i]?.en}`)).toEqual([]);
        for (const t of texts) expect(t.zh).not.toMatch(/\{\w+\}/);
        expect(texts.flatMap((t) => zhSpacing(t.zh))).toEqual([]);
      });
    }
    for (const c of table.invalid) {
      it(`fails with ${c.messageId}: ${c.name ?? JSON.stringify(c.params)} on ${c.state}${c.baseline ? ` from ${c.baseline}` : ''}`, async () => {
        const { reports, texts } = await run(kind, c);
        const at = reports.findIndex((r) => !r.ok && r.messageId === c.messageId);
        expect(
          at,
          `reports: ${JSON.stringify(reports.map((r, i) => [r.ok, r.messageId, texts[i]?.zh]))}`,
        ).toBeGreaterThanOrEqual(0);
        const text = texts[at]!;
        // Placeholders all filled, in both languages.
        expect(text.zh).not.toMatch(/\{\w+\}/);
        expect(text.en).not.toMatch(/\{\w+\}/);
        expect(zhSpacing(text.zh)).toEqual([]);
        if (c.message) expect(`${text.zh}\n${text.en}`).toMatch(c.message);
      });
    }
  });
}
