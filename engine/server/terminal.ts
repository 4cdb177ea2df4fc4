/**
 * One learner's shell on one host: a node-pty process, a headless copy of its screen (so a
 * reconnecting browser gets the screen back), and at most one browser socket viewing it. Output is
 * batched and flow-controlled (see flow.ts); OSC 133 marks are reported to the owner.
 */
import { spawn, type IPty } from 'node-pty';
import type { WebSocket } from 'ws';
import { CloseCode, decodeClientFrame, encodeServerFrame, type ServerEvent } from '../protocol.ts';
import { Batcher, Watermark, type FlowOptions } from './flow.ts';
import { Osc133Scanner, type Mark } from './osc133.ts';
import { Screen } from './screen.ts';
import { MAX_WAITING_BYTES, PtyInput } from './pty-input.ts';
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

export class TerminalSession {
  private readonly pty: IPty;
  private readonly screen: Screen;
  private readonly batcher: Batcher;
  private readonly watermark: Watermark;
  private readonly scanner = new Osc133Scanner();
  private readonly input: PtyInput;
  private viewer: WebSocket | null = null;
  /**
   * The viewer's name in the watermark while its socket still holds unsent bytes: a new name per
   * socket, so a late write callback of an old socket cannot lower a new one's count.
   */
  private socketKey = '';
  private sockets = 0;
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
    this.input = new PtyInput(this.pty, () => this.inputDropped());
    this.screen = new Screen(options.cols, options.rows, options.scrollback ?? 1000);
    this.watermark = new Watermark(options.flow, (paused) => (paused ? this.pty.pause() : this.pty.resume()));
    this.batcher = new Batcher(options.flow, (data) => this.toViewer(data));
    this.pty.onData((d: string | Buffer) => this.onOutput(typeof d === 'string' ? Buffer.from(d) : d));
    this.pty.onExit(({ exitCode }) => this.onPtyExit(exitCode));
  }

  /** Whether `ws` is the socket showing this terminal now. */
  shows(ws: WebSocket): boolean {
    return this.viewer === ws;
  }

  get pid(): number {
    return this.pty.pid;
  }

  private onOutput(data: Buffer): void {
    if (this.disposed) return;
    for (const mark of this.scanner.push(data)) this.options.onMark?.(mark);
    // The copy for reconnecting bounds what it holds itself, and never holds the shell back.
    this.screen.write(data);
    if (this.viewer) this.batcher.push(data);
  }

  private toViewer(data: Buffer): void {
    if (!this.viewer) return;
    if (this.held) {
      this.held.push(data);
    } else {
      this.sendOutput(this.viewer, data);
    }
    this.watermark.sent('viewer', data.length);
  }

  /**
   * Two counts hold the shell back: bytes the browser has not acked (`viewer`), and bytes still in
   * this socket's own buffer (`socket`, lowered by ws's write callback once the kernel took them).
   * Acks are clamped to what was sent (Watermark.done), and a client that acks what it never read
   * stops reading its socket sooner or later: then the socket count grows, and the shell pauses.
   * Without it such a client grew the server by 227 MB in 40 s.
   */
  private sendOutput(ws: WebSocket, data: Buffer): void {
    const frame = encodeServerFrame({ type: 'output', data });
    const key = this.socketKey;
    this.watermark.sent(key, frame.length);
    ws.send(frame, () => this.watermark.done(key, frame.length));
  }

  /** Shows this terminal in a new socket, replacing any earlier one, starting with the screen as it is. */
  attach(ws: WebSocket, cols: number, rows: number): void {
    if (this.disposed) throw new Error('attach to a disposed terminal: make a new TerminalSession');
    this.detach(CloseCode.replaced, '另一个窗口打开了这个终端 / opened in another window');
    this.resize(cols, rows);
    this.viewer = ws;
    this.socketKey = `socket#${++this.sockets}`;
    this.held = [];
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      if (isBinary && this.viewer === ws) this.onFrame(raw);
    });
    ws.on('close', () => {
      if (this.viewer === ws) this.detach();
    });
    // The snapshot has all output written to the screen up to here, and `held` all output after it.
    this.screen.snapshot((text) => {
      if (this.viewer !== ws || !this.held) return;
      const snapshot = Buffer.from('\x1bc' + text, 'utf8');
      // The browser acks the snapshot like any output, so it is counted like any output.
      this.watermark.sent('viewer', snapshot.length);
      this.sendOutput(ws, snapshot);
      for (const data of this.held) this.sendOutput(ws, data);
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
    this.watermark.forget(this.socketKey);
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
        if (this.exited) return;
        this.batcher.expectEcho();
        // As bytes: what the shell reads is bytes, and a key split across two frames stays whole.
        this.input.write(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength));
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
    if (!this.exited) this.input.write(Buffer.from(data));
  }

  /** Input over PtyInput's limit was dropped: said in the terminal, once per spell. */
  private inputDropped(): void {
    log.warn('input dropped: the shell is not reading it', { pid: this.pty.pid });
    const mib = MAX_WAITING_BYTES / 1024 / 1024;
    this.onOutput(
      Buffer.from(
        `\r\n[dockerlab] 输入积压超过 ${mib} MiB（程序没有在读输入），多出的部分已丢弃。` +
          `\r\n[dockerlab] over ${mib} MiB of input waiting (the program is not reading it): the rest was dropped.\r\n`,
      ),
    );
  }

  sendEvent(event: ServerEvent): void {
    if (this.viewer && !this.held) this.viewer.send(encodeServerFrame({ type: 'event', event }));
  }

  private onPtyExit(code: number): void {
    if (this.exited) return;
    this.exited = true;
    this.input.close();
    this.batcher.flush();
    log.info('shell exited', { code, pid: this.pty.pid });
    this.sendEvent({ type: 'exit', code });
    this.options.onExit?.(code);
  }

  /**
   * Ends the shell and lets go of everything; safe to call twice. The viewer's socket is closed
   * with `code`, or left open with `null` (its page is about to get a shell on a new lab).
   */
  dispose(code: number | null = CloseCode.stopped, reason = 'terminal closed'): void {
    if (this.disposed) return;
    this.disposed = true;
    this.detach(code ?? undefined, reason);
    this.batcher.dispose();
    this.input.close();
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
