/**
 * What a parameter looks like, in words, from a kind's zod schema (as JSON Schema): for the check
 * reference (docs.ts) and for lint messages that say what a field expects.
 */
import { z, type ZodType } from 'zod';

export interface Json {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Json>;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Json[];
  items?: Json | Json[];
  prefixItems?: Json[];
  additionalProperties?: Json | boolean;
}

/** A value's shape in brief: `{ netns, host } | { container, host }`, `string[]`; `or` joins alternatives. */
export function typeOf(s: Json, or = ' \\| '): string {
  const of = (x: Json): string => typeOf(x, or);
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((e) => JSON.stringify(e)).join(or);
  if (s.anyOf) return s.anyOf.map(of).join(or);
  if (s.prefixItems) return `[${s.prefixItems.map(of).join(', ')}]`;
  if (s.type === 'array') return `${s.items && !Array.isArray(s.items) ? of(s.items) : 'any'}[]`;
  if (s.type === 'object' && s.properties) return `{ ${Object.keys(s.properties).join(', ')} }`;
  if (s.type === 'object') return 'map';
  if (s.type === 'integer') return 'number';
  return Array.isArray(s.type) ? s.type.join(or) : (s.type ?? 'any');
}

const cache = new WeakMap<ZodType, Json>();
function jsonOf(schema: ZodType): Json {
  let j = cache.get(schema);
  if (!j) {
    j = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
    cache.set(schema, j);
  }
  return j;
}

/** The JSON Schema of the value at `path` (object keys, array indexes), or undefined. */
export function schemaAt(schema: ZodType, path: PropertyKey[]): Json | undefined {
  let here: Json[] = [jsonOf(schema)];
  for (const key of path) {
    const next: Json[] = [];
    const visit = (s: Json): void => {
      if (s.anyOf) s.anyOf.forEach(visit);
      else if (typeof key === 'number') {
        if (s.prefixItems?.[key]) next.push(s.prefixItems[key]);
        else if (s.items && !Array.isArray(s.items)) next.push(s.items);
      } else if (s.properties?.[String(key)]) next.push(s.properties[String(key)]!);
      else if (s.additionalProperties && typeof s.additionalProperties === 'object')
        next.push(s.additionalProperties);
    };
    here.forEach(visit);
    if (!next.length) return undefined;
    here = next;
  }
  return here.length === 1 ? here[0] : { anyOf: here };
}

/** The keys an object at `path` accepts (every alternative's), for "did you mean". */
export function keysAt(schema: ZodType, path: PropertyKey[]): string[] {
  const s = schemaAt(schema, path);
  if (!s) return [];
  const alts = s.anyOf ?? [s];
  return [...new Set(alts.flatMap((a) => Object.keys(a.properties ?? {})))];
}
