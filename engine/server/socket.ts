/**
 * The terminal WebSocket: `/ws/terminal?lesson=ID&host=host1&token=T&cols=C&rows=R`. The upgrade is
 * refused (403) unless the page's Origin is allowed and the token belongs to the learner of the
 * cookie, so no other site, and no other learner, can type into someone's shell.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { encodeServerFrame, terminalPath } from '../protocol.ts';
import type { Course } from './course.ts';
import type { FlowOptions } from './flow.ts';
import type { Hub } from './hub.ts';
import type { LabManager } from './labs.ts';
import { originAllowed } from './origin.ts';
import { learnerOf } from './session.ts';
import type { Store } from './store.ts';
import { TerminalSession } from './terminal.ts';
import { logger } from '../log.ts';

const log = logger('socket');

export interface SocketContext {
  wss: WebSocketServer;
  store: Store;
  course: Course;
  labs: LabManager;
  hub: Hub;
  flow: FlowOptions;
  origins: Set<string>;
}

function refuse(socket: Duplex, status: number, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Not Found'}\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function size(v: string | null, fallback: number): number {
  const n = Number(v);
  return Number.isInteger(n) && n > 0 && n <= 1000 ? n : fallback;
}

export function handleUpgrade(ctx: SocketContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== terminalPath) return refuse(socket, 404, 'no such socket');
  if (!originAllowed(req.headers.origin, ctx.origins, true)) {
    log.warn('socket refused: origin', { origin: req.headers.origin });
    return refuse(socket, 403, 'origin not allowed');
  }
  const learner = learnerOf(req, ctx.store);
  if (!learner || url.searchParams.get('token') !== learner.token) {
    return refuse(socket, 403, 'not your terminal');
  }
  let lesson;
  try {
    lesson = ctx.course.lesson(url.searchParams.get('lesson') ?? '');
  } catch {
    return refuse(socket, 404, 'no such lesson');
  }
  const host = url.searchParams.get('host') ?? 'host1';
  if (!/^host\d+$/.test(host) || Number(host.slice(4)) > lesson.hosts)
    return refuse(socket, 404, 'no such host');
  const cols = size(url.searchParams.get('cols'), 80);
  const rows = size(url.searchParams.get('rows'), 24);

  ctx.wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
    const id = learner.id;
    ctx.hub.add(id, ws);
    ws.send(encodeServerFrame({ type: 'event', event: { type: 'lab', status: ctx.labs.status(id) } }));
    ws.on('message', () => ctx.labs.touch(id));
    ws.on('close', () => {
      if (ctx.hub.remove(id, ws) === 0) ctx.labs.abandon(id);
    });
    ctx.labs.ensure(id, lesson).then(
      (lab) => {
        if (ws.readyState !== ws.OPEN) return;
        const terminals = ctx.labs.terminals(id);
        let term = terminals.get(host);
        if (!term || term.exited) {
          term?.dispose();
          // A check runs when a command ends (D) — but only after one started (C): the first prompt
          // and empty Enter presses print D too.
          let commandRan = false;
          const created: TerminalSession = new TerminalSession(lab.host(host).shellCommand(), {
            cols,
            rows,
            flow: ctx.flow,
            onMark: (m) => {
              if (m.kind === 'C') commandRan = true;
              if (m.kind === 'D' && commandRan) {
                commandRan = false;
                const current = ctx.labs.lessonOf(id);
                if (current) ctx.course.commandFinished(id, current);
              }
            },
            onExit: () => {
              if (terminals.get(host) === created) terminals.delete(host);
            },
          });
          term = created;
          terminals.set(host, term);
        }
        term.attach(ws, cols, rows);
      },
      (e: unknown) => log.warn('lab not available', { learner: id, error: (e as Error).message }),
    );
  });
}
