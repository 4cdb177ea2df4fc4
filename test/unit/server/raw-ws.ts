/**
 * A terminal socket spoken by hand over TCP, for clients the `ws` package will not be: one that
 * stops reading (so it never answers a ping, and the server's writes pile up) while it keeps
 * sending, e.g. acks for bytes it never read.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { encodeClientFrame, terminalPath, type ClientFrame } from '../../../engine/protocol.ts';

export class RawTerminal {
  /** Output payload bytes received (server → client frames with the output command byte). */
  outputBytes = 0;
  /** The tail of the output, as text. */
  text = '';
  private buf = Buffer.alloc(0);

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', () => {}); // the server may drop us: that is what some tests wait for
  }

  static open(
    port: number,
    cookie: string,
    origin: string,
    query: Record<string, string>,
  ): Promise<RawTerminal> {
    const q = new URLSearchParams({ cols: '100', rows: '30', ...query });
    const socket = net.connect(port, '127.0.0.1');
    socket.write(
      `GET ${terminalPath}?${q} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n` +
        `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\n` +
        `Origin: ${origin}\r\nCookie: ${cookie}\r\n\r\n`,
    );
    return new Promise((resolve, reject) => {
      let head = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        if (!head.subarray(0, 12).toString().includes('101')) {
          socket.destroy();
          reject(new Error(`no upgrade: ${head.subarray(0, end).toString()}`));
          return;
        }
        const raw = new RawTerminal(socket);
        raw.onData(head.subarray(end + 4));
        resolve(raw);
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
  }

  /** Server frames are unmasked: FIN/opcode byte, length (7, 16 or 64 bits), payload. */
  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      if (this.buf.length < 2) return;
      let len = this.buf[1]! & 0x7f;
      let at = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        at = 10;
      }
      if (this.buf.length < at + len) return;
      const opcode = this.buf[0]! & 0x0f;
      const payload = this.buf.subarray(at, at + len);
      this.buf = this.buf.subarray(at + len);
      if (opcode === 2 && payload[0] === 0x30) {
        this.outputBytes += payload.length - 1;
        this.text = (this.text + payload.subarray(1).toString('utf8')).slice(-20_000);
      }
    }
  }

  /** A client frame, masked as RFC 6455 requires. */
  send(f: ClientFrame): void {
    const payload = Buffer.from(encodeClientFrame(f));
    const mask = crypto.randomBytes(4);
    const len = payload.length;
    const head =
      len < 126 ? Buffer.from([0x82, 0x80 | len]) : Buffer.from([0x82, 0x80 | 126, len >> 8, len & 0xff]);
    const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
    this.socket.write(Buffer.concat([head, mask, body]));
  }

  type(text: string): void {
    this.send({ type: 'input', data: new TextEncoder().encode(text) });
  }

  /** Stops reading: no more output is taken in, and pings go unanswered. */
  stopReading(): void {
    this.socket.pause();
  }

  startReading(): void {
    this.socket.resume();
  }

  async until(predicate: () => boolean, ms: number, what: string): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; tail: ${JSON.stringify(this.text.slice(-200))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}
