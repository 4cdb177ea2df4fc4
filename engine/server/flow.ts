/**
 * Output batching and ack-based flow control for one terminal, after the xterm.js flow-control
 * guide: the browser acks bytes once `term.write(data, cb)` has rendered them; the pty is paused
 * while more than `highWatermarkBytes` are sent but not acked, and resumed below
 * `lowWatermarkBytes`. The guide warns that HIGH should not exceed 500 KB, or Ctrl-C after `yes`
 * takes seconds to show its effect.
 */
export interface FlowOptions {
  /** Pause the pty above this many unacknowledged bytes. */
  highWatermarkBytes: number;
  /** Resume it once the unacknowledged bytes fall below this. */
  lowWatermarkBytes: number;
  /** How long output may wait to be sent with the next chunk (milliseconds). */
  flushDelayMs: number;
  /** Send at once when this many bytes are waiting. */
  maxBatchBytes: number;
}

export const defaultFlow: FlowOptions = {
  highWatermarkBytes: 256 * 1024,
  lowWatermarkBytes: 64 * 1024,
  // 4 ms joins the bursts of one screen redraw without a visible delay on keystroke echo.
  flushDelayMs: 4,
  maxBatchBytes: 64 * 1024,
};

export function checkFlow(o: FlowOptions): FlowOptions {
  if (!(o.lowWatermarkBytes > 0 && o.lowWatermarkBytes < o.highWatermarkBytes)) {
    throw new Error(
      `Expected 0 < lowWatermarkBytes < highWatermarkBytes, got ${o.lowWatermarkBytes} and ${o.highWatermarkBytes}`,
    );
  }
  if (o.highWatermarkBytes > 500 * 1024) {
    throw new Error(`Expected highWatermarkBytes ≤ 500 KB (xterm.js guide), got ${o.highWatermarkBytes}`);
  }
  if (!(o.flushDelayMs >= 0 && o.maxBatchBytes > 0)) {
    throw new Error(
      `Expected flushDelayMs ≥ 0 and maxBatchBytes > 0, got ${o.flushDelayMs}, ${o.maxBatchBytes}`,
    );
  }
  return o;
}

/** Joins output chunks and hands them on as one buffer after flushDelayMs or at maxBatchBytes. */
export class Batcher {
  private chunks: Buffer[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastSent = -Infinity;
  /** A key was typed and no output went out since: the next output is most likely its echo. */
  private echo = false;
  /** Output until then goes out at once: other output may come between a key and its echo. */
  private echoUntil = -Infinity;

  constructor(
    private readonly options: FlowOptions,
    private readonly send: (data: Buffer) => void,
  ) {}

  /**
   * Input was just written: its echo goes out at once even right after a send (a fast typist's
   * keys, or a paste, come closer together than flushDelayMs), whether it is the next output (a
   * slow host's echo may take longer than flushDelayMs) or comes within flushDelayMs behind other
   * output (the rest of a redraw the previous key started).
   */
  expectEcho(): void {
    this.echo = true;
    this.echoUntil = performance.now() + this.options.flushDelayMs;
  }

  push(chunk: Buffer): void {
    const now = performance.now();
    const typed = this.echo || now < this.echoUntil;
    if (typed && this.size === 0) {
      this.echo = false;
      this.lastSent = now;
      this.send(chunk);
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    // A keystroke's echo, or output after a quiet spell, goes out at once; only bursts wait to be
    // joined.
    const quiet = typed || (!this.timer && now - this.lastSent >= this.options.flushDelayMs);
    if (quiet || this.size >= this.options.maxBatchBytes) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.flushDelayMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.size === 0) return;
    this.echo = false;
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.size);
    this.chunks = [];
    this.size = 0;
    this.lastSent = performance.now();
    this.send(data);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.chunks = [];
    this.size = 0;
  }
}

/**
 * Counts bytes in flight to consumers (the browser, the headless screen) and says when the
 * producer must pause or may resume. Each consumer has its own count; the worst one decides.
 */
export class Watermark {
  private readonly inFlight = new Map<string, number>();
  private paused = false;

  constructor(
    private readonly options: FlowOptions,
    private readonly setPaused: (paused: boolean) => void,
  ) {}

  sent(consumer: string, bytes: number): void {
    this.inFlight.set(consumer, (this.inFlight.get(consumer) ?? 0) + bytes);
    this.update();
  }

  /**
   * `bytes` more were consumed. Clamped to what was sent: an ack of bytes never sent (a buggy or
   * lying client) cannot make room for more. A consumer forgotten meanwhile is left forgotten.
   */
  done(consumer: string, bytes: number): void {
    const before = this.inFlight.get(consumer);
    if (before === undefined) return;
    const left = Math.max(0, before - bytes);
    this.inFlight.set(consumer, left);
    this.update();
  }

  /** A consumer went away (socket closed): what it owed no longer holds the producer back. */
  forget(consumer: string): void {
    this.inFlight.delete(consumer);
    this.update();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  private update(): void {
    let worst = 0;
    for (const n of this.inFlight.values()) worst = Math.max(worst, n);
    if (!this.paused && worst > this.options.highWatermarkBytes) {
      this.paused = true;
      this.setPaused(true);
    } else if (this.paused && worst < this.options.lowWatermarkBytes) {
      this.paused = false;
      this.setPaused(false);
    }
  }
}
