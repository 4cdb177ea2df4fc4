/**
 * Which pages may open a terminal socket or post to the API: the server's own localhost origins
 * plus DOCKERLAB_ORIGINS (comma separated, e.g. a vite dev server or a classroom host name).
 * Browsers always send Origin on WebSocket upgrades, so a page on another site is refused.
 *
 * The same list names the hosts the server answers to: a request whose `Host` header is not one of
 * them is refused (421), so a web page on a rebound DNS name (evil.example → 127.0.0.1) cannot read
 * our answers as its own same-origin responses.
 */
export function allowedOrigins(port: number, extra = process.env.DOCKERLAB_ORIGINS ?? ''): Set<string> {
  const own = ['localhost', '127.0.0.1', '[::1]'].map((h) => `http://${h}:${port}`);
  const more = extra
    .split(',')
    .map((s) => s.trim().replace(/\/$/, ''))
    .filter(Boolean);
  const normalized = more.map((o) => {
    let url: URL | null = null;
    try {
      url = new URL(o);
    } catch {
      // reported below
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== o.toLowerCase()) {
      throw new Error(
        `DOCKERLAB_ORIGINS 里的「${o}」不是一个网址的 origin / DOCKERLAB_ORIGINS entry "${o}" is not an ` +
          'origin: write scheme://host[:port] with nothing after it, e.g. http://classroom.local:8080',
      );
    }
    return url.origin;
  });
  return new Set([...own, ...normalized]);
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

/** The `host[:port]` of each allowed origin, as a browser sends it in the `Host` header. */
export function allowedHosts(origins: Set<string>): Set<string> {
  const hosts = new Set<string>();
  for (const o of origins) {
    const url = new URL(o);
    hosts.add(url.host);
    // A browser leaves out the default port: http://classroom.local means Host: classroom.local.
    if (url.port === '') hosts.add(`${url.hostname}:${url.protocol === 'https:' ? 443 : 80}`);
  }
  return hosts;
}

export function hostAllowed(host: string | undefined, hosts: Set<string>): boolean {
  return host !== undefined && hosts.has(host.toLowerCase());
}

/** The zh/en text of a 421 answer: what was wrong, and how a teacher serving a class fixes it. */
export function hostRefusal(host: string | undefined): string {
  const h = (host ?? '').replace(/[^\w.:[\]-]/g, '?').slice(0, 100);
  return (
    `这个服务器不认「${h}」这个地址。如果学员确实用这个地址打开课程，请在启动时把 http://${h} 加进 DOCKERLAB_ORIGINS。\n` +
    `This server does not answer to host "${h}". If learners open the course by that address, add http://${h} to DOCKERLAB_ORIGINS.\n`
  );
}
