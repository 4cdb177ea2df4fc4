/**
 * Which pages may open a terminal socket or post to the API: the server's own localhost origins
 * plus DOCKERLAB_ORIGINS (comma separated, e.g. a vite dev server or a classroom host name).
 * Browsers always send Origin on WebSocket upgrades, so a page on another site is refused.
 */
export function allowedOrigins(port: number, extra = process.env.DOCKERLAB_ORIGINS ?? ''): Set<string> {
  const own = ['localhost', '127.0.0.1', '[::1]'].map((h) => `http://${h}:${port}`);
  const more = extra
    .split(',')
    .map((s) => s.trim().replace(/\/$/, ''))
    .filter(Boolean);
  return new Set([...own, ...more]);
}

/** A missing Origin (curl, scripts, same-origin GETs) is allowed where `requireOrigin` is false. */
export function originAllowed(
  origin: string | undefined,
  allowed: Set<string>,
  requireOrigin: boolean,
): boolean {
  if (origin === undefined) return !requireOrigin;
  return allowed.has(origin);
}
