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
import { handleApi } from './api.ts';
import { Course, type Evaluate } from './course.ts';
import { checkFlow, defaultFlow, type FlowOptions } from './flow.ts';
import { Hub } from './hub.ts';
import { LabManager, type LabProvider } from './labs.ts';
import { allowedHosts, allowedOrigins, hostAllowed, hostRefusal, originAllowed } from './origin.ts';
import { parsePreviewPath, servePreview } from './preview.ts';
import { learnerOf } from './session.ts';
import { handleUpgrade, refuseUpgrade } from './socket.ts';
import { parseTarget } from './request.ts';
import { serveStatic } from './static.ts';
import { Store } from './store.ts';
import { logger } from '../log.ts';

const log = logger('server');

export interface AppOptions {
  lessons: Lesson[];
  english?: Map<string, Lesson>;
  provider: LabProvider;
  evaluate: Evaluate;
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
}

export interface App {
  url: string;
  port: number;
  labs: LabManager;
  store: Store;
  close(): Promise<void>;
}

export async function startApp(o: AppOptions): Promise<App> {
  allowedOrigins(o.port, o.origins); // a bad DOCKERLAB_ORIGINS fails here, before anything starts
  const store = new Store(o.dbFile);
  const hub = new Hub();
  const flow = checkFlow(o.flow ?? defaultFlow);
  const labs = new LabManager({
    provider: o.provider,
    maxLabs: o.maxLabs ?? 2,
    idleMs: o.idleMs ?? 30 * 60_000,
    onStatus: (id, status) => hub.publish(id, { type: 'lab', status }),
    prepare: (id, lab, lesson, replay, say) => course.prepare(id, lab, lesson, replay, say),
  });
  const course: Course = new Course({
    lessons: o.lessons,
    english: o.english,
    store,
    evaluate: o.evaluate,
    labFor: (id, lesson) => labs.ensure(id, lesson),
    runningLab: (id, lessonId) => (labs.lessonOf(id) === lessonId ? labs.lab(id) : null),
    publish: (id, event) => hub.publish(id, event),
  });
  const distDir = path.resolve(o.distDir ?? path.join(import.meta.dirname, '../../dist'));
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  let origins = new Set<string>();
  let hosts = new Set<string>();
  const apiCtx = {
    course,
    store,
    labStatus: (id: string) => labs.status(id),
    touch: (id: string) => labs.touch(id),
    classCode: o.classCode,
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
    // Cross-site POSTs: SameSite=Lax already keeps the cookie off them; refusing foreign origins
    // outright also covers same-site pages on other ports.
    if (req.method === 'POST' && !originAllowed(req.headers.origin, origins, false)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('origin not allowed\n');
      return;
    }
    if (pathname.startsWith('/api/')) {
      void handleApi(apiCtx, req, res, target);
    } else if (pathname.startsWith('/preview/')) {
      const preview = parsePreviewPath(target.raw);
      const learner = learnerOf(req, store);
      if (!preview || !learner) {
        res
          .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
          .end('没有这个预览 / no such preview\n');
        return;
      }
      labs.touch(learner.id);
      servePreview(labs.lab(learner.id), preview, req, res).catch((e: unknown) => {
        log.warn('preview failed', { error: (e as Error).message });
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
    } else {
      serveStatic(distDir, req, res, pathname);
    }
  };
  server.on('upgrade', (req, socket, head) => {
    // Whatever happens to the raw socket (a reset mid-handshake) concerns this connection only.
    socket.on('error', (e: Error) => log.debug('upgrade socket error', { error: e.message }));
    try {
      if (!hostAllowed(req.headers.host, hosts)) {
        refuseUpgrade(socket, 421, hostRefusal(req.headers.host));
        return;
      }
      handleUpgrade({ wss, store, course, labs, hub, flow, origins }, req, socket, head);
    } catch (e) {
      log.error('upgrade failed', { url: req.url?.slice(0, 200), error: (e as Error).message });
      socket.destroy();
    }
  });
  // A malformed request line or header: answer 400 (Node's default) and log nothing per stranger.
  server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
    if (socket.writable && e.code !== 'ECONNRESET')
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.listenHost ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origins = allowedOrigins(port, o.origins);
  hosts = allowedHosts(origins);
  // The handlers above captured `origins` and `hosts` by reference to the variables, so they now
  // see the port.

  let closed: Promise<void> | null = null;
  return {
    url: `http://localhost:${port}/`,
    port,
    labs,
    store,
    close() {
      closed ??= (async () => {
        course.close();
        hub.closeAll();
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        await labs.dispose(o.saveLabsOnClose);
        store.close();
      })();
      return closed;
    },
  };
}
