/**
 * The request target, parsed once and without throwing: a browser, a script or a stranger may send
 * any bytes as the URL (`//a:b/`, `//[`, `/%`), so every handler works from this instead of calling
 * `new URL()` or `decodeURIComponent` on what arrived.
 */
export interface Target {
  /** The path as sent, still percent-encoded; always starts with `/`. */
  path: string;
  /** The query string, decoded leniently (a stray `%` stays a `%`). */
  query: URLSearchParams;
  /** Path and query exactly as sent. */
  raw: string;
}

/**
 * Only the origin form (`/path?query`) that browsers send to a server; the absolute form (for
 * proxies) and `*` (OPTIONS) are not for us. Null means "answer 400".
 */
export function parseTarget(raw: string | undefined): Target | null {
  if (!raw || raw[0] !== '/') return null;
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  // URLSearchParams never throws on a string: invalid escapes are kept as they are.
  const query = new URLSearchParams(q < 0 ? '' : raw.slice(q + 1));
  return { path, query, raw };
}

/** `decodeURIComponent`, or null where the text is not valid percent-encoded UTF-8. */
export function decodeOrNull(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
