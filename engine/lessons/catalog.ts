/** The check library as the linter sees it: which kinds exist and what is wrong with parameters. */
import type { CheckCatalog } from './lint.ts';

export async function checkCatalog(): Promise<CheckCatalog> {
  const { kinds, validateParams } = await import('../checks/index.ts');
  return {
    has: (kind) => Object.hasOwn(kinds, kind),
    validate: (kind, params) => messages(validateParams(kind, params)),
  };
}

/** validateParams answers with a list of problems (strings or `{ message }`), or nothing. */
function messages(r: unknown): string[] {
  if (!r) return [];
  const list = Array.isArray(r) ? r : typeof r === 'object' && 'errors' in r ? (r as { errors: unknown[] }).errors : [r];
  return list.map((e) => (typeof e === 'string' ? e : e && typeof e === 'object' && 'message' in e ? String((e as { message: unknown }).message) : JSON.stringify(e)));
}
