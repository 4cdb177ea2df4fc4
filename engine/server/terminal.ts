/**
 * One learner's shell on one host: a node-pty process, a headless copy of its screen (so a
 * reconnecting browser gets the screen back), and at most one browser socket viewing it. Output is
 * batched and flow-controlled (see flow.ts); OSC 133 marks are reported to the owner.
 */
import { spawn, type IPty } from 'node-pty';
import headless from '@xterm/headless';
import serializeAddon from '@xterm/addon-serialize';
import type { WebSocket } from 'ws';
import { decodeClientFrame, encodeServerFrame, type ServerEvent } from '../protocol.ts';
import { Batcher, Watermark, type FlowOptions } from './flow.ts';
import { Osc133Scanner, type Mark } from './osc133.ts';
import { logger } from '../log.ts';

const log = logger('terminal');

export interface ShellCommand {
  file: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface TerminalOptions {
  cols: number;
  rows: number;
  flow: FlowOptions;
  /** Lines kept for the screen restored on reconnect. */
  scrollback?: number;
  onMark?: (mark: Mark) => void;
  onExit?: (code: number) => void;
}

/** WebSocket close codes of our own (4000–4999 are the application's). */
export const CloseCode = { replaced: 4001, exited: 4002, stopped: 4003 } as const;

export class TerminalSession {
  private readonly pty: IPty;
  private readonly screen: InstanceType<typeof headless.Terminal>;
  private readonly serializer: InstanceType<typeof serializeAddon.SerializeAddon>;
  private readonly batcher: Batcher;
  private readonly watermark: Watermark;
  private readonly scanner = new Osc133Scanner();
  private viewer: WebSocket | null = null;
  /** Output that arrived while a new viewer's screen was being serialised. */
  private held: Buffer[] | null = null;
  private disposed = false;
  exited = false;

  constructor(
    command: ShellCommand,
    private readonly options: TerminalOptions,
  ) {
    this.pty = spawn(command.file, command.args, {
      name: 'xterm-256color',
      cols: options.cols,
      rows: options.rows,
      cwd: command.cwd ?? process.cwd(),
      env: { ...process.env, TERM: 'xterm-256color', ...command.env } as Record<string, string>,
      // Raw bytes: a UTF-8 character may be split across reads; the browser's decoder copes.
      encoding: null,
    });
    this.screen = new headless.Terminal({
      cols: options.cols,
      rows: options.rows,
      scrollback: options.scrollback ?? 1000,
      allowProposedApi: true,
    });
    this.serializer = new serializeAddon.SerializeAddon();
    this.screen.loadAddon(this.serializer);
    this.watermark = new Watermark(options.flow, (paused) => (paused ? this.pty.pause() : this.pty.resume()));
    this.batcher = new Batcher(options.flow, (data) => this.toViewer(data));
    this.pty.onData((d: string | Buffer) => this.onOutput(typeof d === 'string' ? Buffer.from(d) : d));
    this.pty.onExit(({ exitCode }) => this.onPtyExit(exitCode));
  }

  get pid(): number {
    return this.pty.pid;
  }

  private onOutput(data: Buffer): void {
    if (this.disposed) return;
    for (const mark of this.scanner.push(data)) this.options.onMark?.(mark);
    // The headless screen is a consumer too: without counting it, `cat` of a big file would queue
    // unbounded data in its write buffer (xterm drops data above 50 MB).
    this.watermark.sent('screen', data.length);
    this.screen.write(data, () => this.watermark.done('screen', data.length));
    if (this.viewer) this.batcher.push(data);
  }

  private toViewer(data: Buffer): void {
    if (!this.viewer) return;
    if (this.held) {
      this.held.push(data);
    } else {
      this.viewer.send(encodeServerFrame({ type: 'output', data }));
    }
    this.watermark.sent('viewer', data.length);
  }

  /** Shows this terminal in a new socket, replacing any earlier one, starting with the screen as it is. */
  attach(ws: WebSocket, cols: number, rows: number): void {
    if (this.disposed) throw new Error('attach to a disposed terminal: make a new TerminalSession');
    this.detach(CloseCode.replaced, '另一个窗口打开了这个终端 / opened in another window');
    this.resize(cols, rows);
    this.viewer = ws;
    this.held = [];
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      if (isBinary && this.viewer === ws) this.onFrame(raw);
    });
    ws.on('close', () => {
      if (this.viewer === ws) this.detach();
    });
    // The write callback runs once everything written before it is on the headless screen, so the
    // snapshot has all output up to here and `held` has all output after it.
    this.screen.write('', () => {
      if (this.viewer !== ws || !this.held) return;
      const snapshot = Buffer.from('\x1bc' + this.serializer.serialize(), 'utf8');
      ws.send(encodeServerFrame({ type: 'output', data: snapshot }));
      for (const data of this.held) ws.send(encodeServerFrame({ type: 'output', data }));
      this.held = null;
      if (this.exited) this.sendEvent({ type: 'exit', code: -1 });
    });
  }

  /** Stops showing the terminal in its socket; the shell keeps running. */
  detach(code?: number, reason?: string): void {
    const old = this.viewer;
    this.viewer = null;
    this.held = null;
    this.batcher.flush();
    this.watermark.forget('viewer');
    if (old && code !== undefined) old.close(code, reason);
  }

  private onFrame(raw: Buffer): void {
    let frame;
    try {
      frame = decodeClientFrame(raw);
    } catch {
      return; // a malformed resize or ack: ignore it rather than kill the session
    }
    if (!frame) return;
    switch (frame.type) {
      case 'input':
        if (!this.exited) this.pty.write(Buffer.from(frame.data).toString('utf8'));
        return;
      case 'resize':
        this.resize(frame.cols, frame.rows);
        return;
      case 'ack':
        this.watermark.done('viewer', frame.bytes);
        return;
      default:
        frame satisfies never;
    }
  }

  resize(cols: number, rows: number): void {
    if (this.exited || (cols === this.screen.cols && rows === this.screen.rows)) return;
    this.pty.resize(cols, rows);
    this.screen.resize(cols, rows);
  }

  /** Writes as if typed (used by the benchmark and "run in terminal"). */
  write(data: string): void {
    if (!this.exited) this.pty.write(data);
  }

  sendEvent(event: ServerEvent): void {
    if (this.viewer && !this.held) this.viewer.send(encodeServerFrame({ type: 'event', event }));
  }

  private onPtyExit(code: number): void {
    if (this.exited) return;
    this.exited = true;
    this.batcher.flush();
    log.info('shell exited', { code, pid: this.pty.pid });
    this.sendEvent({ type: 'exit', code });
    this.options.onExit?.(code);
  }

  /** Ends the shell and lets go of everything; safe to call twice. */
  dispose(code: number = CloseCode.stopped, reason = 'terminal closed'): void {
    if (this.disposed) return;
    this.disposed = true;
    this.detach(code, reason);
    this.batcher.dispose();
    if (!this.exited) {
      try {
        this.pty.kill();
      } catch {
        // already gone
      }
    }
    this.screen.dispose();
  }
}
