/**
 * The dockerlab web server, assembled: JSON API, terminal sockets, port preview and the built web
 * app, on one HTTP port. Everything it owns (labs, shells, sockets, the database) is released by
 * `close()`, which is safe to call twice.
 */
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Lesson } from '../lessons/types.ts';
import type { BrokenLesson } from '../lessons/load.ts';
import { handleApi } from './api.ts';
import { TopologyTracker } from '../topology/tracker.ts';
import { Course, type Evaluate, type Snapshot } from './course.ts';
import { checkFlow, defaultFlow, type FlowOptions } from './flow.ts';
import type { LabProvider } from './workspace.ts';
import { Workspaces } from './workspaces.ts';
import { allowedHosts, allowedOrigins, hostAllowed, hostRefusal, originAllowed } from './origin.ts';
import { parsePreviewPath, previewOriginAllowed, servePreview } from './preview.ts';
import { handleUpgrade, refuseUpgrade, startHeartbeat } from './socket.ts';
import { RateLimit } from './ratelimit.ts';
import { parseTarget } from './request.ts';
import { serveStatic } from './static.ts';
import { Store } from './store.ts';
import { logger } from '../log.ts';

const log = logger('server');

export interface AppOptions {
  lessons: Lesson[];
  /** Lesson files that did not load (see loadCourse): the others are served. */
  broken?: BrokenLesson[];
  english?: Map<string, Lesson>;
  provider: LabProvider;
  evaluate: Evaluate;
  /** The lab's state when each step begins, for the checks' baseline (the inspector; none in tests). */
  snapshot?: Snapshot;
  /** 0 picks a free port. */
  port: number;
  /** Interface to listen on; default 127.0.0.1 (the server is for this machine unless told). */
  listenHost?: string;
  dbFile?: string;
  distDir?: string;
  maxLabs?: number;
  idleMs?: number;
  flow?: FlowOptions;
  classCode?: string;
  /** Extra allowed origins (DOCKERLAB_ORIGINS). */
  origins?: string;
  /** On close, save running labs (where the provider can) for their learners to resume later. */
  saveLabsOnClose?: boolean;
  /**
   * Per client address: class sign-in attempts a minute (10) and new learners an hour (30). Tests
   * that make many learners from 127.0.0.1 raise them.
   */
  rateLimits?: { signInsPerMinute?: number; learnersPerHour?: number };
  /** How often terminal sockets are pinged; one silent for a whole interval is dropped. */
  heartbeatMs?: number;
}

export interface App {
  url: string;
  port: number;
  workspaces: Workspaces;
  store: Store;
  close(): Promise<void>;
}

export async function startApp(o: AppOptions): Promise<App> {
  allowedOrigins(o.port, o.origins); // a bad DOCKERLAB_ORIGINS fails here, before anything starts
  const store = new Store(o.dbFile);
  const course = new Course({ lessons: o.lessons, broken: o.broken, english: o.english, store });
  const workspaces = new Workspaces({
    course,
    provider: o.provider,
    evaluate: o.evaluate,
    snapshot: o.snapshot,
    flow: checkFlow(o.flow ?? defaultFlow),
    maxLabs: o.maxLabs ?? 2,
    idleMs: o.idleMs ?? 30 * 60_000,
  });
  const distDir = path.resolve(o.distDir ?? path.join(import.meta.dirname, '../../dist'));
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  // 20 s: well under the minutes after which NAT boxes and proxies drop a quiet connection.
  const stopHeartbeat = startHeartbeat(wss, o.heartbeatMs ?? 20_000);
  let origins = new Set<string>();
  let hosts = new Set<string>();
  const apiCtx = {
    course,
    store,
    workspaces,
    topology: new TopologyTracker(),
    classCode: o.classCode,
    limits: {
      signIns: RateLimit.per(o.rateLimits?.signInsPerMinute ?? 10, 60_000),
      creations: RateLimit.per(o.rateLimits?.learnersPerHour ?? 30, 3_600_000),
    },
  };

  const server = http.createServer((req, res) => {
    try {
      route(req, res);
    } catch (e) {
      // A bug in one handler answers 500 to that request; the server goes on.
      log.error('request failed', { url: req.url?.slice(0, 200), error: (e as Error).message });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('服务器出错了 / server error\n');
    }
  });
  const route = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    req.on('error', () => res.destroy());
    res.on('error', () => req.destroy());
    if (!hostAllowed(req.headers.host, hosts)) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8' }).end(hostRefusal(req.headers.host));
      return;
    }
    const target = parseTarget(req.url);
    if (!target) {
      res
        .writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
        .end('网址不对：要以 / 开头 / bad request target: it must start with /\n');
      return;
    }
    const pathname = target.path;
    if (pathname.startsWith('/preview/')) return preview(req, res, target.raw);
    // Cross-site POSTs: SameSite=Lax already keeps the cookie off them; refusing foreign origins
    // outright also covers same-site pages on other ports.
    if (req.method === 'POST' && !originAllowed(req.headers.origin, origins, false)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('origin not allowed\n');
      return;
    }
    if (pathname.startsWith('/api/')) {
      void handleApi(apiCtx, req, res, target);
    } else {
      serveStatic(distDir, req, res, pathname);
    }
  };
  /** The learner's preview: the key in the path is the credential (see preview.ts). */
  const preview = (req: http.IncomingMessage, res: http.ServerResponse, raw: string): void => {
    if (!previewOriginAllowed(req.headers.origin, origins)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('origin not allowed\n');
      return;
    }
    const target = parsePreviewPath(raw);
    const w = target && workspaces.byPreview(target.key);
    if (!target || !w) {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('没有这个预览（预览的网址在服务器重启后会变，请回到课程页重新打开）/ no such preview\n');
      return;
    }
    w.touch();
    servePreview(w.runningLab, target, req, res).catch((e: unknown) => {
      log.warn('preview failed', { error: (e as Error).message });
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  };
  server.on('upgrade', (req, socket, head) => {
    // Whatever happens to the raw socket (a reset mid-handshake) concerns this connection only.
    socket.on('error', (e: Error) => log.debug('upgrade socket error', { error: e.message }));
    try {
      if (!hostAllowed(req.headers.host, hosts)) {
        refuseUpgrade(socket, 421, hostRefusal(req.headers.host));
        return;
      }
      handleUpgrade({ wss, store, course, workspaces, origins }, req, socket, head);
    } catch (e) {
      log.error('upgrade failed', { url: req.url?.slice(0, 200), error: (e as Error).message });
      socket.destroy();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.listenHost ?? '127.0.0.1', () => resolve());
  });
  // After listening, an error here is one failed accept (EMFILE while a stranger holds every
  // descriptor): log it; the server keeps the connections it has and accepts again when it can.
  server.on('error', (e: NodeJS.ErrnoException) =>
    log.error('server error', { code: e.code, error: e.message }),
  );
  const port = (server.address() as AddressInfo).port;
  origins = allowedOrigins(port, o.origins);
  hosts = allowedHosts(origins);
  // The handlers above captured `origins` and `hosts` by reference to the variables, so they now
  // see the port.

  let closed: Promise<void> | null = null;
  return {
    url: `http://localhost:${port}/`,
    port,
    workspaces,
    store,
    close() {
      closed ??= (async () => {
        workspaces.close();
        stopHeartbeat();
        // Pages reconnect to the next server by themselves; the sockets must end for close() to.
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        await workspaces.dispose(o.saveLabsOnClose);
        store.close();
      })();
      return closed;
    },
  };
}
