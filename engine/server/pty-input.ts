/**
 * What a learner types, on its way into one pty. Written at once while nothing waits, one write()
 * on the pty's non-blocking fd: a keystroke reaches the shell without node-pty's trip through
 * libuv's thread pool. What the pty cannot take now (a paste into a shell that is not reading,
 * `sleep 60` say) waits here, in order, and is tried again: at once while the shell takes some,
 * then less and less often (up to every MAX_RETRY_MS) while it takes none — node-pty tries again
 * in a loop that kept half a core busy for as long as the shell slept. At most MAX_WAITING_BYTES
 * wait; input beyond that is dropped, and `onDropped` is called once per spell of dropping, until
 * the waiting input has gone in (node-pty keeps all of it: a learner pasting into `sleep` again and
 * again could grow the server without end).
 */
import fs from 'node:fs';
import type { IPty } from 'node-pty';

/** A paste this big arrives whole even when all of it must wait (the page sends it at once). */
export const MAX_WAITING_BYTES = 4 * 1024 * 1024;
export const MAX_RETRY_MS = 50;

export class PtyInput {
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  private retry: { timer: NodeJS.Timeout } | { immediate: NodeJS.Immediate } | null = null;
  private delayMs = 0;
  private closed = false;
  private dropping = false;
  /** Input dropped so far, for logs and tests. */
  droppedBytes = 0;

  private readonly fd: number;

  /**
   * `pty`'s fd is written until node-pty says 'close': that comes in the same turn as the fd's own
   * close (the read stream's EIO when the shell is gone), before any other I/O callback such as a
   * learner's next frame, so no write reaches the number once it names another file this process
   * opened (without it, a test's 100 010 bytes landed in a file opened after the shell had exited).
   */
  constructor(
    pty: IPty,
    private readonly onDropped: () => void,
  ) {
    const p = pty as IPty & { fd?: unknown; on?: unknown };
    if (typeof p.fd !== 'number' || typeof p.on !== 'function')
      throw new Error("node-pty's UnixTerminal changed: expected its fd and on('close')");
    this.fd = p.fd;
    (p.on as (event: 'close', listener: () => void) => void).call(pty, 'close', () => this.close());
  }

  write(data: Buffer): void {
    if (this.closed || data.length === 0) return;
    if (this.waiting.length === 0) {
      const n = this.tryWrite(data);
      if (n === data.length || this.closed) return;
      data = data.subarray(n);
      this.schedule(n > 0);
    }
    const room = MAX_WAITING_BYTES - this.waitingBytes;
    if (data.length > room) {
      this.droppedBytes += data.length - room;
      if (!this.dropping) this.onDropped();
      this.dropping = true;
      data = data.subarray(0, room);
    }
    if (data.length === 0) return;
    this.waiting.push(data);
    this.waitingBytes += data.length;
  }

  /** Bytes waiting for the pty to take them. */
  get pending(): number {
    return this.waitingBytes;
  }

  /** The shell is gone: what waits is dropped, and nothing more is written. */
  close(): void {
    this.closed = true;
    this.cancel();
    this.waiting = [];
    this.waitingBytes = 0;
  }

  /** Bytes the pty took now: 0 when it is full; everything when it is gone (EIO: nobody reads). */
  private tryWrite(data: Buffer): number {
    try {
      return fs.writeSync(this.fd, data);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EINTR') return 0;
      this.close();
      return data.length;
    }
  }

  private schedule(progress: boolean): void {
    this.cancel();
    this.delayMs = progress ? 0 : Math.min(MAX_RETRY_MS, Math.max(1, this.delayMs * 2));
    this.retry =
      this.delayMs === 0
        ? { immediate: setImmediate(() => this.drain()) }
        : { timer: setTimeout(() => this.drain(), this.delayMs) };
  }

  private cancel(): void {
    if (this.retry && 'timer' in this.retry) clearTimeout(this.retry.timer);
    if (this.retry && 'immediate' in this.retry) clearImmediate(this.retry.immediate);
    this.retry = null;
  }

  private drain(): void {
    this.retry = null;
    let wrote = 0;
    while (this.waiting.length) {
      const first = this.waiting[0]!;
      const n = this.tryWrite(first);
      if (this.closed) return;
      wrote += n;
      this.waitingBytes -= n;
      if (n < first.length) {
        this.waiting[0] = first.subarray(n);
        break;
      }
      this.waiting.shift();
    }
    if (this.waiting.length) return this.schedule(wrote > 0);
    this.delayMs = 0;
    this.dropping = false;
  }
}
