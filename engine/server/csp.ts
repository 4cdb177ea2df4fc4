/**
 * The Content-Security-Policy of the app's own pages (index.html). Scripts come only from this
 * origin, plus the inline scripts of the page itself, each allowed by its SHA-256 (index.html has
 * one: it sets the theme before the first paint, and vite copies it as it is); a script injected
 * by anyone else does not run. Sockets and fetches go only to this same host. Styles may be
 * inline: Lit and xterm.js set them from script, which is not where an attacker's text goes.
 */
import crypto from 'node:crypto';

const inlineScript = /<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi;

/** `'sha256-…'` sources for every inline script of `html`. */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(inlineScript)].map(
    (m) => `'sha256-${crypto.createHash('sha256').update(m[1]!, 'utf8').digest('base64')}'`,
  );
}

/**
 * The policy for `html` served to a request with this `Host` (already checked against the allowed
 * origins by app.ts, so it is one of ours; it names the socket origin, ws: or wss:).
 */
export function appCsp(html: string, host: string | undefined): string {
  const sockets = host && /^[\w.[\]:-]+$/.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    `script-src 'self' ${inlineScriptHashes(html).join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self'${sockets}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
