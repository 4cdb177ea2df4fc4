/**
 * The headless copy of each terminal's screen (so a reconnecting browser gets the screen back),
 * kept in one worker thread for the whole server: parsing a shell's output with xterm.js is most of
 * the work of a terminal, and on the main thread it slowed every terminal's output (cat of 50 MB
 * went half as fast). The main thread only passes bytes on and hears when they were parsed.
 *
 * The screen does not hold the shell back: xterm.js parses plain text at about 30 MB/s here, slower
 * than a shell can print, and the learner's browser (which has its own flow control) should not
 * wait for a copy kept for reconnecting. At most IN_FLIGHT_BYTES are with the worker; output beyond
 * that waits here, and only its last TAIL_BYTES are kept. When older output had to be dropped, the
 * copy is reset and rebuilt from that tail: after a flood (`cat` of a big file, `yes`) the screen
 * restored on reconnect shows the flood's last lines, as the browser did, though colours or modes
 * set before the dropped part are lost.
 *
 * The worker is a script given as source (a worker thread cannot load TypeScript here): it holds
 * one @xterm/headless Terminal with a SerializeAddon per screen, by number. If it dies, every
 * screen's pending writes are called done (output must never stay paused), their snapshots come
 * back empty, and the next screen starts a new worker.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { logger } from '../log.ts';

const log = logger('screen');
const require = createRequire(import.meta.url);

/** Messages to the worker: new screen, write, resize, snapshot, dispose. */
type ToWorker =
  | { t: 'new'; id: number; cols: number; rows: number; scrollback: number }
  | { t: 'w'; id: number; data: Uint8Array; reset?: true }
  | { t: 'r'; id: number; cols: number; rows: number }
  | { t: 's'; id: number }
  | { t: 'x'; id: number };
/** From the worker: a write of screen `id` parsed; a snapshot of it. */
type FromWorker = { t: 'w'; id: number } | { t: 's'; id: number; text: string };

const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { Terminal } = require(workerData.headless);
const { SerializeAddon } = require(workerData.serialize);
const screens = new Map();
parentPort.on('message', (m) => {
  const s = screens.get(m.id);
  switch (m.t) {
    case 'new': {
      const term = new Terminal({ cols: m.cols, rows: m.rows, scrollback: m.scrollback, allowProposedApi: true });
      const serializer = new SerializeAddon();
      term.loadAddon(serializer);
      screens.set(m.id, { term, serializer });
      return;
    }
    case 'w':
      // Answered even for a screen that is gone: the main thread counts its bytes until then.
      if (!s) return parentPort.postMessage({ t: 'w', id: m.id });
      if (m.reset) s.term.reset();
      return s.term.write(m.data, () => parentPort.postMessage({ t: 'w', id: m.id }));
    case 'r':
      if (s) s.term.resize(m.cols, m.rows);
      return;
    case 's':
      // After everything written before it: the write callback runs once those are parsed.
      if (!s) return parentPort.postMessage({ t: 's', id: m.id, text: '' });
      return s.term.write('', () => parentPort.postMessage({ t: 's', id: m.id, text: s.serializer.serialize() }));
    case 'x':
      // After the writes still being parsed: disposing under them makes xterm.js complain.
      if (s) s.term.write('', () => s.term.dispose());
      screens.delete(m.id);
      return;
  }
});
`;

/** The worker and the screens it holds; a new one after a crash. */
class ScreenWorker {
  private readonly worker: Worker;
  readonly screens = new Map<number, Screen>();
  dead = false;

  constructor() {
    this.worker = new Worker(workerSource, {
      eval: true,
      workerData: {
        headless: require.resolve('@xterm/headless'),
        serialize: require.resolve('@xterm/addon-serialize'),
      },
    });
    this.worker.on('message', (m: FromWorker) => this.screens.get(m.id)?.fromWorker(m));
    this.worker.on('error', (e) => this.die(e.message));
    this.worker.on('exit', (code) => this.die(`exited with ${code}`));
    // Screens never keep a process alive. After the listeners: a 'message' listener refs the
    // worker's port again (`dockerlab bench` printed its figures and then waited for ever).
    this.worker.unref();
  }

  post(m: ToWorker): void {
    if (!this.dead) this.worker.postMessage(m);
  }

  private die(why: string): void {
    if (this.dead) return;
    this.dead = true;
    if (shared === this) shared = null;
    if (this.screens.size)
      log.error('the screen worker died: screens are lost', { why, screens: this.screens.size });
    for (const s of this.screens.values()) s.lost();
    this.screens.clear();
  }
}

let shared: ScreenWorker | null = null;
let nextId = 1;

/** Bytes given to the worker and not yet parsed, per screen. */
export const IN_FLIGHT_BYTES = 256 * 1024;
/**
 * How long output waits to be joined before it goes to the worker (ms): the copy is for a browser
 * that reconnects, which cannot come sooner than that, and a snapshot sends what waits first.
 */
export const JOIN_MS = 10;
/** Output waiting for the worker that is kept, per screen: the newest. */
export const TAIL_BYTES = 256 * 1024;

/** One terminal's screen in the worker: the calls of xterm's Terminal that TerminalSession uses. */
export class Screen {
  private readonly id = nextId++;
  private readonly worker: ScreenWorker;
  /** Sizes of writes not yet parsed, in order (the worker answers in order). */
  private readonly writes: number[] = [];
  private inFlight = 0;
  /** Output waiting for room with the worker (at most TAIL_BYTES, the newest). */
  private waiting: Buffer[] = [];
  private waitingBytes = 0;
  /** Output was dropped from `waiting`: the screen is rebuilt from what is left. */
  private dropped = false;
  private scheduled = false;
  private readonly snapshots: ((text: string) => void)[] = [];
  /** Bytes of output dropped so far (for tests and logs). */
  droppedBytes = 0;
  private disposed = false;
  cols: number;
  rows: number;

  constructor(cols: number, rows: number, scrollback: number) {
    shared ??= new ScreenWorker();
    this.worker = shared;
    this.cols = cols;
    this.rows = rows;
    this.worker.screens.set(this.id, this);
    this.worker.post({ t: 'new', id: this.id, cols, rows, scrollback });
  }

  /** Output of the terminal, for the screen (see the header: never holds the caller back). */
  write(data: Buffer): void {
    if (this.disposed || this.worker.dead) return;
    this.waiting.push(data);
    this.waitingBytes += data.length;
    while (this.waitingBytes > TAIL_BYTES) {
      const first = this.waiting[0]!;
      const over = this.waitingBytes - TAIL_BYTES;
      if (first.length <= over) this.waiting.shift();
      else this.waiting[0] = first.subarray(over);
      const cut = Math.min(first.length, over);
      this.waitingBytes -= cut;
      this.droppedBytes += cut;
      this.dropped = true;
    }
    // Joined and sent JOIN_MS later: a pty gives a few KiB per read, and a message to the worker per
    // read cost more than parsing them; nor should a keystroke's echo share its turn with one.
    this.scheduled ||= (setTimeout(() => ((this.scheduled = false), this.pump()), JOIN_MS), true);
  }

  private post(data: Buffer, reset = false): void {
    this.writes.push(data.length);
    this.inFlight += data.length;
    // A copy of just these bytes (a clone of a Buffer that is a slice would copy its whole pool).
    this.worker.post({ t: 'w', id: this.id, data: new Uint8Array(data), ...(reset ? { reset: true } : {}) });
  }

  /** Sends waiting output, joined, while the worker has room. */
  private pump(): void {
    if (this.disposed || !this.waiting.length || this.inFlight >= IN_FLIGHT_BYTES) return;
    const data =
      this.waiting.length === 1 ? this.waiting[0]! : Buffer.concat(this.waiting, this.waitingBytes);
    this.waiting = [];
    this.waitingBytes = 0;
    this.post(data, this.dropped);
    this.dropped = false;
  }

  resize(cols: number, rows: number): void {
    this.cols = cols;
    this.rows = rows;
    this.worker.post({ t: 'r', id: this.id, cols, rows });
  }

  /**
   * The screen as escape sequences (SerializeAddon), with every byte written before this call
   * (output still waiting is sent first; what was dropped is not in it).
   */
  snapshot(done: (text: string) => void): void {
    if (this.disposed || this.worker.dead) return done('');
    if (this.waiting.length) {
      this.post(Buffer.concat(this.waiting, this.waitingBytes), this.dropped);
      this.waiting = [];
      this.waitingBytes = 0;
      this.dropped = false;
    }
    this.snapshots.push(done);
    this.worker.post({ t: 's', id: this.id });
  }

  /** @internal the worker's answer for this screen. */
  fromWorker(m: FromWorker): void {
    if (m.t === 's') return this.snapshots.shift()?.(m.text);
    this.inFlight -= this.writes.shift() ?? 0;
    this.pump();
  }

  /** @internal the worker died: nothing more will be parsed, nobody may wait for it. */
  lost(): void {
    this.writes.length = 0;
    this.inFlight = 0;
    this.waiting = [];
    this.waitingBytes = 0;
    for (const done of this.snapshots.splice(0)) done('');
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.worker.post({ t: 'x', id: this.id });
    this.worker.screens.delete(this.id);
    this.lost();
  }
}
