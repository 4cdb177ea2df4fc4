/**
 * Who is asking. The cookie holds a session secret (HttpOnly, SameSite=Lax, never shown to page
 * JS); the store keeps only its hash. Without a class code, a first visit makes an anonymous
 * learner; with one (class mode), nobody is made here: the page signs in with the class code, a
 * name and a PIN (api.ts), and every other call answers 401 until it has.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './course.ts';
import type { RateLimit } from './ratelimit.ts';
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

function secretOf(req: IncomingMessage): string | undefined {
  return parseCookies(req.headers.cookie)[cookieName];
}

/** The learner of this request's cookie, or null (never creates one: for sockets). */
export function learnerOf(req: IncomingMessage, store: Store): Learner | null {
  const secret = secretOf(req);
  return secret ? (store.session(secret)?.learner ?? null) : null;
}

/** Starts a session for the learner in this browser: a new secret, as the cookie. */
export function startSession(res: ServerResponse, store: Store, learner: Learner): void {
  const secret = store.openSession(learner.id);
  res.setHeader('Set-Cookie', `${cookieName}=${secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${oneYearS}`);
}

/** The client's address, for rate limits (an IPv4 address mapped into IPv6 counts as itself). */
export function clientAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
}

/** Refuses with 429 and Retry-After when `limit` has nothing left for this client. */
export function spend(limit: RateLimit, req: IncomingMessage, what: { zh: string; en: string }): void {
  const r = limit.take(clientAddress(req));
  if (r.ok) return;
  const minutes = Math.ceil(r.retryAfterS / 60);
  throw new RateLimited(r.retryAfterS, {
    zh: `${what.zh}太频繁了，请 ${r.retryAfterS < 120 ? `${r.retryAfterS} 秒` : `${minutes} 分钟`}后再试。`,
    en: `Too many ${what.en} from this computer: try again in ${r.retryAfterS < 120 ? `${r.retryAfterS} s` : `${minutes} min`}.`,
  });
}

export class RateLimited extends HttpError {
  constructor(
    readonly retryAfterS: number,
    text: { zh: string; en: string },
  ) {
    super(429, text);
  }
}

export const signInNeeded = {
  zh: '这个课堂需要先登录：请输入班级代码、你的名字和 PIN。',
  en: 'This class needs you to sign in first: enter the class code, your name and your PIN.',
};

export interface Identity {
  store: Store;
  /** Class mode: no anonymous learners. */
  classMode: boolean;
  /** New anonymous learners per client address. */
  creations: RateLimit;
}

/**
 * The request's learner. A legacy cookie (the old learner id, from before the store's migration 2)
 * is accepted this once and replaced by a new secret. Without a cookie: a new anonymous learner
 * (rate-limited), or in class mode a 401 that the page answers with the sign-in form.
 */
export function identify(req: IncomingMessage, res: ServerResponse, ctx: Identity): Learner {
  const secret = secretOf(req);
  const found = secret ? ctx.store.session(secret) : null;
  if (found) {
    if (found.legacy) {
      ctx.store.endSession(secret!);
      startSession(res, ctx.store, found.learner);
    }
    return found.learner;
  }
  if (ctx.classMode) throw new HttpError(401, signInNeeded);
  spend(ctx.creations, req, { zh: '新建学员', en: 'new learners' });
  const learner = ctx.store.createLearner();
  startSession(res, ctx.store, learner);
  return learner;
}
