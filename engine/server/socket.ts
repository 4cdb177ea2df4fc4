/**
 * The terminal WebSocket: `/ws/terminal?lesson=ID&host=host1&cols=C&rows=R`. The upgrade is refused
 * (403) unless the page's Origin is allowed (browsers always send it on an upgrade, and app.ts has
 * already checked Host) and the cookie is a learner's: no other site can open a socket with the
 * learner's cookie, and no other learner holds it. A `token` parameter, which older pages send, is
 * ignored: it was public (returned to page JS), so it added nothing to cookie + Origin.
 *
 * Every socket has an 'error' listener: ws reports a frame over maxPayload (closing it with 1009)
 * or a text frame with invalid UTF-8 (1007) as an error on that socket, which must not become an
 * uncaught exception.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { terminalPath, type TerminalQuery } from '../protocol.ts';
import type { Course } from './course.ts';
import { originAllowed } from './origin.ts';
import { parseTarget } from './request.ts';
import { learnerOf } from './session.ts';
import type { Store } from './store.ts';
import type { Workspaces } from './workspaces.ts';
import { logger } from '../log.ts';

const log = logger('socket');

export interface SocketContext {
  wss: WebSocketServer;
  store: Store;
  course: Course;
  workspaces: Workspaces;
  origins: Set<string>;
}

const reasons: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  421: 'Misdirected Request',
};

export function refuseUpgrade(socket: Duplex, status: number, text: string): void {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reasons[status] ?? 'Error'}\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function size(v: string | null, fallback: number): number {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 && n <= 1000 ? n : fallback;
}

export function handleUpgrade(ctx: SocketContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const target = parseTarget(req.url);
  if (!target) return refuseUpgrade(socket, 400, 'bad request target');
  // Read by the names of TerminalQuery, so the page and the server cannot drift apart.
  const param = (name: keyof TerminalQuery) => target.query.get(name);
  if (target.path !== terminalPath) return refuseUpgrade(socket, 404, 'no such socket');
  if (!originAllowed(req.headers.origin, ctx.origins, true)) {
    log.warn('socket refused: origin', { origin: req.headers.origin });
    return refuseUpgrade(socket, 403, 'origin not allowed');
  }
  const learner = learnerOf(req, ctx.store);
  if (!learner) {
    return refuseUpgrade(socket, 403, 'not your terminal');
  }
  // The page says whose it is: one left open while this browser signed in as someone else must
  // not show (or type into) the other learner's shell.
  const expected = param('learner');
  if (expected !== null && expected !== learner.id)
    return refuseUpgrade(
      socket,
      409,
      '这个页面属于另一个学员，请刷新 / this page is for another learner: reload it',
    );
  let lesson;
  try {
    lesson = ctx.course.lesson(param('lesson') ?? '');
  } catch {
    return refuseUpgrade(socket, 404, 'no such lesson');
  }
  const host = param('host') ?? 'host1';
  if (!/^host\d+$/.test(host) || Number(host.slice(4)) > lesson.hosts)
    return refuseUpgrade(socket, 404, 'no such host');
  const cols = size(param('cols'), 80);
  const rows = size(param('rows'), 24);

  ctx.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
    ws.on('error', (e: Error & { code?: string }) =>
      log.warn('socket error', { learner: learner.id, code: e.code, error: e.message }),
    );
    ctx.workspaces.get(learner.id).connect(ws, lesson, host, cols, rows);
  });
}

/**
 * Pings every socket each `intervalMs`; one that has not answered the previous ping by then is
 * half-open (a laptop that slept, a network that dropped without a FIN) and is terminated, so its
 * shell is free for the page's reconnection and the lab's idle clock is not held by a ghost.
 * Browsers answer pings by themselves. Returns a function that stops it.
 */
export function startHeartbeat(wss: WebSocketServer, intervalMs: number): () => void {
  const answered = new WeakSet<WebSocket>();
  const seen = new WeakSet<WebSocket>();
  const timer = setInterval(() => {
    for (const ws of wss.clients) {
      if (!seen.has(ws)) {
        seen.add(ws);
        answered.add(ws);
        ws.on('pong', () => answered.add(ws));
      }
      if (!answered.has(ws)) {
        log.info('socket did not answer a ping: dropped', { after: intervalMs });
        ws.terminate();
        continue;
      }
      answered.delete(ws);
      ws.ping();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
