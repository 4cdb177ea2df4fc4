/**
 * The browser end of one terminal socket: binary frames (engine/protocol.ts), acks after the
 * terminal has rendered output (flow control), and reconnection with back-off unless the server
 * closed on purpose (replaced by another window, or the lab was stopped).
 */
import {
  AckBatch,
  CloseCode,
  decodeServerFrame,
  encodeClientFrame,
  splitInput,
  terminalUrlPath,
  type ClientFrame,
  type ServerEvent,
} from '../engine/protocol.ts';

export type SocketState =
  | 'connecting'
  | 'open'
  | 'reconnecting'
  | 'replaced'
  | 'stopped'
  | 'closed'
  /** The server no longer knows this page's learner (its database was reset): reload. */
  | 'expired';

export interface TermSocketOptions {
  lessonId: string;
  host: string;
  /**
   * The learner this page was opened for (public id). The socket is authenticated by the cookie;
   * this only lets the server tell a page left open after the browser signed in as someone else.
   */
  learner: string;
  size(): { cols: number; rows: number };
  /** Must call `done` once the data is on screen; that is the ack. */
  onOutput(data: Uint8Array, done: () => void): void;
  onEvent(event: ServerEvent): void;
  onState(state: SocketState): void;
}

export class TermSocket {
  private ws: WebSocket | null = null;
  /** Acks for the socket in `ws` (a new batch per socket: the server counts per socket). */
  private acks: AckBatch | null = null;
  private retry = 0;
  private retryTimer: number | undefined;
  private disposed = false;

  constructor(private readonly o: TermSocketOptions) {}

  connect(): void {
    window.clearTimeout(this.retryTimer);
    this.ws?.close(1000);
    const { cols, rows } = this.o.size();
    const path = terminalUrlPath({
      lesson: this.o.lessonId,
      host: this.o.host,
      learner: this.o.learner,
      cols,
      rows,
    });
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}${path}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.o.onState(this.retry ? 'reconnecting' : 'connecting');
    this.acks?.reset();
    const acks = new AckBatch((bytes) => {
      if (this.ws === ws && ws.readyState === WebSocket.OPEN)
        ws.send(encodeClientFrame({ type: 'ack', bytes }));
    });
    this.acks = acks;
    ws.onopen = () => {
      this.retry = 0;
      this.o.onState('open');
    };
    ws.onmessage = (e: MessageEvent<ArrayBuffer>) => {
      const frame = decodeServerFrame(new Uint8Array(e.data));
      if (!frame) return;
      if (frame.type === 'output') {
        const n = frame.data.length;
        this.o.onOutput(frame.data, () => acks.rendered(n));
      } else {
        this.o.onEvent(frame.event);
      }
    };
    ws.onclose = (e) => {
      if (this.ws !== ws || this.disposed) return;
      this.ws = null;
      if (e.code === CloseCode.replaced) return this.o.onState('replaced');
      if (e.code === CloseCode.stopped) return this.o.onState('stopped');
      // Back off 1, 2, 4, 8 s, then every 10 s: the server may be restarting.
      const delay = Math.min(10_000, 1000 * 2 ** this.retry++);
      this.o.onState('reconnecting');
      this.retryTimer = window.setTimeout(() => void this.reconnect(), delay);
    };
  }

  /**
   * Connects again, unless the server answers for another learner: then it has forgotten this one
   * (or the browser signed in as someone else), and retrying would be refused forever.
   */
  private async reconnect(): Promise<void> {
    if (this.retry > 1) {
      const session = await fetch('/api/session')
        .then((r) =>
          r.ok
            ? (r.json() as Promise<{ learnerId: string }>)
            : // 401: class mode, and this browser is signed out (its PIN was cleared): sign in again.
              r.status === 401
              ? { learnerId: '' }
              : null,
        )
        .catch(() => null); // the server is down: keep trying
      if (this.disposed) return;
      if (session && session.learnerId !== this.o.learner) return this.o.onState('expired');
    }
    this.connect();
  }

  private send(f: ClientFrame): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(encodeClientFrame(f));
  }

  /** Typed or pasted text, in frames of at most 16 KiB (a big paste would exceed the server's limit). */
  input(text: string): void {
    for (const data of splitInput(new TextEncoder().encode(text))) this.send({ type: 'input', data });
  }

  resize(cols: number, rows: number): void {
    this.send({ type: 'resize', cols, rows });
  }

  dispose(): void {
    this.disposed = true;
    window.clearTimeout(this.retryTimer);
    this.acks?.reset();
    this.ws?.close(1000);
    this.ws = null;
  }
}
