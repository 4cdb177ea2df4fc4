/**
 * The JSON API under /api: one table of routes (the ApiRoutes of engine/protocol.ts), each a
 * function of the learner and the URL's parts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  routeMethod,
  type ApiError,
  type ApiRoute,
  type ApiRoutes,
  type RouteParams,
  type SessionView,
} from '../protocol.ts';
import { HttpError, type Course, type Lang } from './course.ts';
import type { RateLimit } from './ratelimit.ts';
import type { Target } from './request.ts';
import { hashPin, pinPattern, sameText, verifyPin } from './secrets.ts';
import { identify, learnerOf, RateLimited, spend, startSession } from './session.ts';
import type { Learner, Store } from './store.ts';
import type { Workspaces } from './workspaces.ts';
import { topologyRoute } from '../topology/route.ts';
import type { TopologyTracker } from '../topology/tracker.ts';
import { logger } from '../log.ts';

const log = logger('api');
const maxJsonBytes = 64 * 1024;

export interface ApiContext {
  course: Course;
  store: Store;
  workspaces: Workspaces;
  /** The topology panel's snapshots and per-step history (engine/topology). */
  topology: TopologyTracker;
  /** DOCKERLAB_CLASS_CODE: when set, learners sign in with it, a name and a PIN; none is anonymous. */
  classCode: string | undefined;
  limits: {
    /** Class sign-in attempts per client address. */
    signIns: RateLimit;
    /** New learners (anonymous, or by a first class sign-in) per client address. */
    creations: RateLimit;
  };
}

interface Call<R extends ApiRoute> {
  /** The cookie's learner; for the sign-in itself, null when there is none yet. */
  learner: R extends 'POST /api/session' ? Learner | null : Learner;
  /** `?lang=en` asks for the English text of lessons where there is one. */
  lang: Lang;
  /** The route's `:name` parts, as sent (ids match `[\w-]+`, a `:step` is digits). */
  params: Record<keyof RouteParams<R>, string>;
  body: Record<string, unknown>;
  req: IncomingMessage;
  res: ServerResponse;
}

type Handler<R extends ApiRoute> = (
  ctx: ApiContext,
  call: Call<R>,
) => ApiRoutes[R]['reply'] | Promise<ApiRoutes[R]['reply']>;

const session = (learner: Learner, c: ApiContext): SessionView => ({
  learnerId: learner.id,
  name: learner.name,
  classCode: c.classCode !== undefined,
});

/**
 * Class sign-in: the right class code and a name; the first sign-in with a name sets its PIN (an
 * unnamed learner signing in on this computer keeps their progress under it), later ones must give
 * the same PIN. Attempts are rate-limited per client address, so a PIN cannot be guessed quickly.
 */
async function signIn(
  c: ApiContext,
  current: Learner | null,
  body: Record<string, unknown>,
  call: Call<'POST /api/session'>,
) {
  spend(c.limits.signIns, call.req, { zh: '登录', en: 'sign-in attempts' });
  const name = typeof body.name === 'string' ? body.name.normalize('NFC').trim().slice(0, 40) : '';
  const code = typeof body.classCode === 'string' ? body.classCode.trim() : '';
  if (!c.classCode || !sameText(code, c.classCode) || !name) {
    throw new HttpError(403, {
      zh: '班级代码不对，或者没有填名字。',
      en: 'Wrong class code, or no name given.',
    });
  }
  const pin = typeof body.pin === 'string' ? body.pin.trim() : '';
  if (!pinPattern.test(pin)) {
    throw new HttpError(400, {
      zh: 'PIN 要 4 到 8 位数字。',
      en: 'The PIN must be 4 to 8 digits.',
    });
  }
  const known = c.store.learnerByName(name);
  if (known?.hasPin) {
    if (!(await verifyPin(pin, c.store.pinHash(known.id) ?? ''))) {
      throw new HttpError(403, {
        zh: `班里已经有人用「${name}」这个名字了，PIN 不对。如果这是你，请输入你第一次登录时设的 PIN；忘了就请老师帮忙。如果不是你，请换一个名字（比如加上学号）。`,
        en: `Someone in this class already signed in as "${name}", and the PIN does not match. If that was you, enter the PIN you chose then (ask your teacher if you forgot it); if not, pick another name (add your student number, say).`,
      });
    }
    startSession(call.res, c.store, known);
    return session(known, c);
  }
  const pinHash = await hashPin(pin);
  // From here on nothing awaits, so no other sign-in with this name can slip in between.
  let learner = c.store.learnerByName(name);
  if (learner?.hasPin) {
    throw new HttpError(409, {
      zh: `刚才有人用「${name}」这个名字登录了，请再试一次。`,
      en: `Someone signed in as "${name}" just now: try again.`,
    });
  }
  if (learner) {
    c.store.setPin(learner.id, pinHash); // named before PINs existed: this sign-in sets it
  } else if (current && current.name === null) {
    c.store.nameLearner(current.id, name, pinHash);
    learner = c.store.learner(current.id)!;
  } else {
    spend(c.limits.creations, call.req, { zh: '新建学员', en: 'new learners' });
    learner = c.store.createLearner(name, pinHash);
  }
  startSession(call.res, c.store, learner);
  return session(learner, c);
}

function stepParam(s: string | undefined): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0)
    throw new HttpError(400, { zh: '步骤编号不对', en: `bad step number "${s}"` });
  return n;
}

/** The route table: one handler per route of ApiRoutes (the compiler checks there is each). */
const routes: { [R in ApiRoute]: Handler<R> } = {
  'GET /api/session': (c, { learner }) => session(learner, c),
  'POST /api/session': (c, call) => signIn(c, call.learner, call.body, call),
  'GET /api/lessons': (c, { learner, lang }) => c.course.summaries(learner.id, lang),
  'GET /api/lessons/:lesson': (c, { learner, params, lang }) =>
    c.course.view(learner.id, params.lesson, lang, c.workspaces.peek(learner.id)?.lastCheck),
  'POST /api/lessons/:lesson/check': (c, { learner, params, body }) =>
    c.workspaces
      .get(learner.id)
      .check(params.lesson, body.step === undefined ? undefined : stepParam(String(body.step))),
  'POST /api/lessons/:lesson/current': (c, { learner, params, body }) => {
    const progress = c.course.setCurrent(
      learner.id,
      params.lesson,
      stepParam(String(body.step)),
      c.workspaces.peek(learner.id)?.lastCheck,
    );
    // The chosen step begins now: its baseline is the lab as it is.
    c.workspaces.peek(learner.id)?.stepBegins(params.lesson);
    return progress;
  },
  'POST /api/lessons/:lesson/steps/:step/hint': (c, { learner, params, lang }) =>
    c.course.hint(learner.id, params.lesson, stepParam(params.step), lang),
  'POST /api/lessons/:lesson/steps/:step/solution': (c, { learner, params }) =>
    c.course.solution(learner.id, params.lesson, stepParam(params.step)),
  'POST /api/lessons/:lesson/steps/:step/skip': (c, { learner, params }) =>
    c.workspaces.get(learner.id).skip(params.lesson, stepParam(params.step)),
  'POST /api/lessons/:lesson/steps/:step/restart': (c, { learner, params }) =>
    c.workspaces.get(learner.id).restartStep(params.lesson, stepParam(params.step)),
  'GET /api/lab': (c, { learner }) => c.workspaces.peek(learner.id)?.status ?? { state: 'idle' },
  'GET /api/lessons/:lesson/topology': (c, { learner, params, req }) =>
    topologyRoute(c, learner.id, params.lesson, req.url),
  'POST /api/lab/reset': (c, { learner, body }) => {
    const lesson = c.course.lesson(typeof body.lesson === 'string' ? body.lesson : '');
    return c.workspaces.get(learner.id).reset(lesson);
  },
};

/** Each route as a method and a regular expression over the path, with its part names in order. */
const table = (Object.keys(routes) as ApiRoute[]).map((route) => {
  const path = route.slice(route.indexOf(' ') + 1);
  const names = [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const source = path.replace(/:(\w+)/g, (_, n: string) => (n === 'step' ? '(\\d+)' : '([\\w-]+)'));
  return { route, method: routeMethod(route), re: new RegExp(`^${source}$`), names };
});

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  if (req.method !== 'POST') return {};
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > maxJsonBytes) throw new HttpError(413, { zh: '请求太大', en: 'request body too large' });
      chunks.push(c as Buffer);
    }
  } catch (e) {
    if (e instanceof HttpError) throw e;
    // The client went away mid-body: nobody is left to answer, and it is not the server's fault.
    throw new HttpError(400, { zh: '请求没有发完', en: 'the request body was cut off' });
  }
  if (size === 0) return {};
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    throw new HttpError(400, { zh: '请求不是合法的 JSON', en: 'request body is not JSON' });
  }
}

function send(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

export async function handleApi(
  ctx: ApiContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: Target,
): Promise<void> {
  const pathname = target.path;
  // `?lang=en` asks for the English twin of a lesson's text, where there is one.
  const lang: Lang = target.query.get('lang') === 'en' ? 'en' : 'zh';
  try {
    const match = table.find((r) => r.method === req.method && r.re.test(pathname));
    if (!match)
      throw new HttpError(404, { zh: '没有这个接口', en: `no API route ${req.method} ${pathname}` });
    // Signing in needs no learner yet; every other route does (and may make one, or answer 401).
    const learner =
      match.route === 'POST /api/session'
        ? learnerOf(req, ctx.store)
        : identify(req, res, {
            store: ctx.store,
            classMode: ctx.classCode !== undefined,
            creations: ctx.limits.creations,
          });
    if (learner) ctx.workspaces.peek(learner.id)?.touch();
    const parts = match.re.exec(pathname)!.slice(1);
    const params = Object.fromEntries(match.names.map((n, i) => [n, parts[i]!])) as Call<ApiRoute>['params'];
    const handler = routes[match.route] as Handler<ApiRoute>;
    const value = await handler(ctx, {
      learner: learner as Learner,
      lang,
      params,
      body: await readJson(req),
      req,
      res,
    });
    send(res, 200, value);
  } catch (e) {
    if (e instanceof RateLimited) res.setHeader('retry-after', String(e.retryAfterS));
    if (e instanceof HttpError) {
      send(res, e.status, { error: e.text } satisfies ApiError);
    } else {
      const msg = (e as Error).message;
      log.error('api failed', { path: pathname, error: msg, stack: (e as Error).stack });
      send(res, 500, {
        error: { zh: `服务器出错了：${msg}`, en: `server error: ${msg}` },
      } satisfies ApiError);
    }
  }
}
