/**
 * The check library: every kind by the name lessons use in ```check blocks, and the parameter
 * validator the lesson linter calls. Adding a kind: a module in kinds/, a line here, a table test
 * in test/unit/checks/<kind>.test.ts, and `npm run docs:checks` (test/unit/checks/meta.test.ts fails otherwise).
 */
import addr from './kinds/addr.ts';
import bridge from './kinds/bridge.ts';
import cgroup from './kinds/cgroup.ts';
import container from './kinds/container.ts';
import daemon from './kinds/daemon.ts';
import file from './kinds/file.ts';
import history from './kinds/history.ts';
import http from './kinds/http.ts';
import image from './kinds/image.ts';
import iptables from './kinds/iptables.ts';
import link from './kinds/link.ts';
import mount from './kinds/mount.ts';
import namespace from './kinds/namespace.ts';
import netns from './kinds/netns.ts';
import network from './kinds/network.ts';
import processKind from './kinds/process.ts';
import reach from './kinds/reach.ts';
import route from './kinds/route.ts';
import shell from './kinds/shell.ts';
import sysctl from './kinds/sysctl.ts';
import veth from './kinds/veth.ts';
import volume from './kinds/volume.ts';
import type { z } from 'zod';
import { nearest } from '../lessons/suggest.ts';
import { type Json, keysAt, schemaAt, typeOf } from './shape.ts';
import type { CheckKind } from './types.ts';

const all = [
  netns,
  link,
  veth,
  bridge,
  addr,
  route,
  reach,
  container,
  image,
  network,
  volume,
  mount,
  daemon,
  iptables,
  sysctl,
  cgroup,
  http,
  file,
  namespace,
  processKind,
  shell,
  history,
];

// Each kind keeps its own parameter type; the table erases it (the schema validates at runtime).
export const kinds: Record<string, CheckKind> = Object.fromEntries(
  all.map((k) => [k.meta.id, k as unknown as CheckKind]),
);

/** Whether any of `conditions` compares with the step's start (CheckMeta.readsBaseline). */
export function readsBaseline(conditions: readonly { kind: string }[]): boolean {
  return conditions.some((c) => kinds[c.kind]?.meta.readsBaseline === true);
}

/** Splits the `host:` every condition may carry from the kind's own parameters. */
export function splitHost(params: unknown): { host?: string | undefined; rest: unknown } {
  if (params && typeof params === 'object' && !Array.isArray(params) && 'host' in params) {
    const { host, ...rest } = params as Record<string, unknown>;
    return { host: typeof host === 'string' ? host : String(host), rest };
  }
  return { rest: params };
}

export type Parsed =
  { ok: true; kind: CheckKind; host?: string | undefined; params: unknown } | { ok: false; errors: string[] };

/** Validates a condition; the errors read as sentences an instructor can act on. */
export function parseCondition(kind: string, params: unknown): Parsed {
  if (!Object.hasOwn(kinds, kind)) {
    const near = nearest(kind, Object.keys(kinds));
    return {
      ok: false,
      errors: [
        `unknown check kind "${kind}"${near ? `: did you mean "${near}"?` : ''} (known kinds: ${Object.keys(kinds).sort().join(', ')})`,
      ],
    };
  }
  const k = kinds[kind]!;
  const { host, rest } = splitHost(params);
  if (host !== undefined && !/^host\d+$/.test(host))
    return { ok: false, errors: [`host: expected a lab host name such as host2, got "${host}"`] };
  const r = k.meta.schema.safeParse(rest ?? {});
  if (!r.success) return { ok: false, errors: r.error.issues.map((i) => explain(k, i, rest)) };
  return { ok: true, kind: k, host, params: r.data };
}

/**
 * One zod issue as a sentence: where, what is wrong, and what the field expects; a misspelt key
 * gets the nearest real one ("`network` — did you mean `networks`?").
 */
function explain(k: CheckKind, i: z.core.$ZodIssue, input: unknown): string {
  const at = i.path.map(String).join('.');
  const where = at ? `${at}: ` : '';
  if (i.code === 'unrecognized_keys') {
    const known = keysAt(k.meta.schema, i.path);
    return i.keys
      .map((key) => {
        const near = nearest(key, known);
        const field = at ? `${at}.${key}` : key;
        return `\`${field}\` is not a parameter of ${kind(k)}${near ? `: did you mean \`${near}\`?` : ''} (it takes: ${known.join(', ')})`;
      })
      .join('; ');
  }
  const s = schemaAt(k.meta.schema, i.path);
  const expects = s ? ` (expected ${typeOf(s, ' | ')}${example(at, s)})` : '';
  if (i.code === 'invalid_union' || i.code === 'invalid_type') {
    const value = i.path.reduce<unknown>(
      (v, key) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined),
      input,
    );
    return `${where}${value === undefined ? 'missing' : `${JSON.stringify(value)} is not the right shape`}${expects}`;
  }
  return `${where}${i.message}${expects}`;
}

const kind = (k: CheckKind): string => `\`${k.meta.id}\``;

/** A filled-in example for object-shaped fields: `from: { container: C }`. */
function example(at: string, s: Json): string {
  const alts = (s.anyOf ?? [s]).filter((a) => a.properties);
  const first = alts.find((a) => Object.keys(a.properties!).length) ?? alts[0];
  if (!first?.properties) return '';
  const req = first.required?.length ? first.required : Object.keys(first.properties).slice(0, 1);
  const name = at.split('.').pop() ?? at;
  return `, e.g. ${name}: { ${req.map((r) => `${r}: ${r.slice(0, 1).toUpperCase()}`).join(', ')} }`;
}

/** For the lesson linter: an empty list when the parameters are fine. */
export function validateParams(kind: string, params: unknown): string[] {
  const r = parseCondition(kind, params);
  return r.ok ? [] : r.errors;
}
