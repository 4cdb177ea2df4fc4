/** Every kind has a table test, docs that are up to date, messages in both languages and a valid example (ESLint's checkRuleFiles). */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checksMarkdown, docsPath } from '../../../engine/checks/docs.ts';
import { kinds, validateParams } from '../../../engine/checks/index.ts';
import { fill } from '../../../engine/checks/render.ts';
import { zhSpacing } from './tester.ts';

/** What a placeholder may hold: Latin, Chinese, both either way round, Chinese punctuation. */
const samples = ['x1', '主机', '命名空间 x1', 'x1 上的命名空间', '（没有）'];
/** Placeholders a kind fills with a clause it appends: empty, or starting with punctuation. */
const clauses = new Set(['contains', 'output', 'args']);

describe('the check library', () => {
  it('has at least the kinds the course needs', () => {
    for (const k of [
      'netns',
      'link',
      'veth',
      'bridge',
      'addr',
      'route',
      'reach',
      'container',
      'image',
      'network',
      'volume',
      'mount',
      'daemon',
      'iptables',
      'sysctl',
      'cgroup',
      'http',
      'file',
      'process',
      'namespace',
      'shell',
      'history',
    ])
      expect(Object.keys(kinds)).toContain(k);
  });

  it('docs/checks.md is generated from the kinds and up to date', () => {
    const onDisk = readFileSync(docsPath, 'utf8');
    expect(
      onDisk === checksMarkdown(),
      'docs/checks.md is stale: run `npx tsx engine/checks/docs.ts --write`',
    ).toBe(true);
  });

  for (const [id, k] of Object.entries(kinds)) {
    describe(id, () => {
      it('has a table test', () =>
        expect(
          existsSync(new URL(`./${id}.test.ts`, import.meta.url)),
          `add test/unit/checks/${id}.test.ts`,
        ).toBe(true));
      it('is documented', () => expect(readFileSync(docsPath, 'utf8')).toContain(`## ${id}\n`));
      it('has its id as its key', () => expect(k.meta.id).toBe(id));
      it('has zh and en text for its description and every message', () => {
        for (const t of [k.meta.description, ...Object.values(k.meta.messages)]) {
          expect(t.zh.trim()).not.toBe('');
          expect(t.en.trim()).not.toBe('');
          expect(t.zh).toMatch(/[\u4e00-\u9fff]|^\{\w+\}$|^\{key\} = \{value\}$/);
        }
      });
      it('renders every zh message spaced right, whatever fills it', () => {
        for (const [messageId, t] of Object.entries(k.meta.messages)) {
          const keys = [...t.zh.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
          for (const sample of samples)
            for (const clause of ['', `，${sample}`]) {
              const data = Object.fromEntries(keys.map((key) => [key, clauses.has(key) ? clause : sample]));
              const zh = fill(t.zh, data, 'zh');
              expect(zhSpacing(zh), messageId).toEqual([]);
              // Two Latin values side by side must not run together ("ns1ping"): separate them with a space.
              expect(zh, messageId).not.toMatch(/x1x1/);
            }
        }
      });
      it('has an example that validates', () => {
        const doc = parse(k.meta.example) as Record<string, unknown>;
        expect(Object.keys(doc)).toEqual([id]);
        expect(validateParams(id, doc[id])).toEqual([]);
      });
    });
  }

  it('rejects an unknown kind by listing the known ones', () => {
    expect(validateParams('vethh', {})[0]).toMatch(
      /unknown check kind "vethh": did you mean "veth"\? \(known kinds: .*veth/,
    );
  });
  it('rejects misspelt parameters readably', () => {
    expect(validateParams('link', { name: 'x', netnss: 'ns1' }).join()).toMatch(/netnss/);
    expect(validateParams('veth', { ends: [{ name: 'a' }] }).join()).toMatch(/ends/);
  });
  it('accepts host: on any condition, and only lab host names', () => {
    expect(validateParams('netns', { name: 'ns1', host: 'host2' })).toEqual([]);
    expect(validateParams('netns', { name: 'ns1', host: 'web' }).join()).toMatch(/host/);
  });
});
