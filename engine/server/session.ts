/**
 * Who is asking: an anonymous learner identified by a random cookie (HttpOnly, SameSite=Lax), made
 * on first visit; or, with a class code, a learner found again by name on any machine.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeOrNull } from './request.ts';
import type { Learner, Store } from './store.ts';

export const cookieName = 'dl_sid';
const oneYearS = 365 * 24 * 3600;

/**
 * Cookies are not port-scoped: any app on localhost may have set some, so a value that does not
 * decode (`theme=50%`) is skipped, never an error.
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const value = decodeOrNull(part.slice(i + 1).trim());
    if (value !== null) out[part.slice(0, i).trim()] = value;
  }
  return out;
}

/** The learner of this request's cookie, or null (never creates one: for sockets and previews). */
export function learnerOf(req: IncomingMessage, store: Store): Learner | null {
  const id = parseCookies(req.headers.cookie)[cookieName];
  return id ? store.learner(id) : null;
}

export function setLearnerCookie(res: ServerResponse, learner: Learner): void {
  res.setHeader(
    'Set-Cookie',
    `${cookieName}=${encodeURIComponent(learner.id)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${oneYearS}`,
  );
}

/** The request's learner, made (and the cookie set) if there is none yet. */
export function identify(req: IncomingMessage, res: ServerResponse, store: Store): Learner {
  const known = learnerOf(req, store);
  if (known) return known;
  const learner = store.createLearner();
  setLearnerCookie(res, learner);
  return learner;
}
