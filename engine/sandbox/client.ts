/**
 * A connection to one VM's mux socket (served by the lab's supervisor): many commands and shells
 * at once, each on its own channel, over the guest's virtio-serial line. What arrives is checked
 * like everything from the guest side: a frame that cannot be read ends the connection, a bad
 * payload ends its command with exit 255 and a message on stderr; nothing here throws from a
 * socket handler.
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { encodeFrame, FrameDecoder, FrameType, MAX_GUEST_FRAME_BYTES, type Frame } from './frame.ts';
import {
  ErrorPayload,
  ExitPayload,
  parsePayload,
  StatusPayload,
  type ExitStatus,
  type OpenRequest,
} from './payload.ts';
import type { ExecOptions, ExecResult } from './api.ts';

export type { ExitStatus, OpenRequest };

/** Stdin goes in frames of at most this much. */
const STDIN_FRAME_BYTES = 256 * 1024;

/** Default of ExecOptions.maxOutputBytes: what one stream of one `exec` may keep. */
export const DEFAULT_MAX_OUTPUT_BYTES = 8 * 1024 * 1024;

/** One running command or shell in the guest. Output must be acknowledged with `ack` once consumed. */
export class GuestProcess extends EventEmitter<{
  stdout: [Buffer];
  stderr: [Buffer];
  exit: [ExitStatus];
}> {
  constructor(
    private readonly client: GuestClient,
    readonly channel: number,
  ) {
    super();
  }
  write(data: Buffer | string): void {
    const bytes = Buffer.from(data);
    // In pieces: the mux drops a client whose frame is over MAX_CLIENT_FRAME_BYTES.
    for (let at = 0; at < bytes.length; at += STDIN_FRAME_BYTES)
      this.client.send(this.channel, FrameType.stdin, bytes.subarray(at, at + STDIN_FRAME_BYTES));
  }
  /** Closes stdin (no effect on a pty, where Ctrl-D is a byte like any other). */
  end(): void {
    this.client.send(this.channel, FrameType.stdin);
  }
  resize(cols: number, rows: number): void {
    this.client.send(this.channel, FrameType.resize, { cols, rows });
  }
  signal(signal: number): void {
    this.client.send(this.channel, FrameType.signal, { signal });
  }
  ack(bytes: number): void {
    this.client.send(this.channel, FrameType.ack, { bytes });
  }
  kill(): void {
    this.client.send(this.channel, FrameType.close);
  }
}

export class GuestClient {
  private readonly processes = new Map<number, GuestProcess>();
  private nextChannel = 1;
  private closed: Error | null = null;
  private pings: { resolve: (status: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  private readonly failures = new Set<(e: Error) => void>();

  private constructor(private readonly socket: net.Socket) {
    const decoder = new FrameDecoder(MAX_GUEST_FRAME_BYTES);
    socket.on('data', (chunk) => {
      const { frames, error } = decoder.push(chunk);
      for (const frame of frames) this.dispatch(frame);
      if (error) {
        this.fail(
          new Error(`沙箱连接收到了无法解读的数据 / the sandbox connection sent a bad frame: ${error}`),
        );
        socket.destroy();
      }
    });
    socket.on('close', () =>
      this.fail(new Error('沙箱连接已断开 / the sandbox connection closed (is the lab down?)')),
    );
    socket.on('error', (e) => this.fail(e));
  }

  static connect(path: string): Promise<GuestClient> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(path);
      socket.once('connect', () => resolve(new GuestClient(socket)));
      socket.once('error', (e) =>
        reject(
          new Error(
            `cannot reach the sandbox at ${path}: ${e.message}; is the lab up? (dockerlab sandbox list)`,
          ),
        ),
      );
    });
  }

  send(channel: number, type: FrameType, payload?: Buffer | object): void {
    if (!this.closed) this.socket.write(encodeFrame(channel, type, payload));
  }

  open(request: OpenRequest): GuestProcess {
    if (this.closed) throw this.closed;
    const channel = this.nextChannel++;
    const proc = new GuestProcess(this, channel);
    this.processes.set(channel, proc);
    this.send(channel, FrameType.open, request);
    return proc;
  }

  /** Asks the supervisor how the VM is doing (channel 0 is the supervisor's own). */
  status(): Promise<Record<string, unknown>> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      this.pings.push({ resolve, reject });
      this.send(0, FrameType.ping);
    });
  }

  /**
   * Runs `argv` and collects its output (passing each piece to `onOutput` as it comes). A stream that passes `maxOutputBytes` stops the command
   * (like a timeout: its process group is killed): the result keeps the first `maxOutputBytes`
   * bytes, says `truncated`, and stderr ends with a line saying so.
   */
  exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    return this.collect(this.open({ argv, timeoutMs, env: options.env }), argv.join(' '), options);
  }

  /** Sends `request` to a guest unix socket and collects the answer (SandboxHost.ask). */
  ask(socket: string, request: string, options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    return this.collect(this.open({ socket, timeoutMs }), `a request to ${socket}`, {
      ...options,
      stdin: request,
    });
  }

  private collect(proc: GuestProcess, what: string, options: ExecOptions): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const cap = options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const kept = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
    const size = { stdout: 0, stderr: 0 };
    let truncated: 'stdout' | 'stderr' | null = null;
    const collect = (stream: 'stdout' | 'stderr') => (b: Buffer) => {
      if (truncated) return; // the kill is on its way; nothing more is kept or acknowledged
      const room = cap - size[stream];
      const keep = b.length > room ? b.subarray(0, room) : b;
      kept[stream].push(keep);
      size[stream] += keep.length;
      if (keep.length) options.onOutput?.(stream, keep);
      if (b.length > room) {
        truncated = stream;
        proc.kill();
      } else proc.ack(b.length);
    };
    proc.on('stdout', collect('stdout'));
    proc.on('stderr', collect('stderr'));
    if (options.stdin !== undefined) proc.write(Buffer.from(options.stdin));
    proc.end();
    return new Promise((resolve, reject) => {
      // The guest enforces timeoutMs; this guard only catches a guest that stopped answering.
      const guard = setTimeout(() => {
        proc.kill();
        reject(new Error(`no answer from the sandbox within ${timeoutMs + 10_000} ms running ${what}`));
      }, timeoutMs + 10_000);
      proc.once('exit', (status) => {
        clearTimeout(guard);
        const stderr = Buffer.concat(kept.stderr).toString('utf8');
        resolve({
          stdout: Buffer.concat(kept.stdout).toString('utf8'),
          stderr: truncated
            ? `${stderr}\n[dockerlab] 输出超过了 ${cap} 字节的上限，命令已被终止 / ${truncated} passed the cap of ${cap} bytes (maxOutputBytes): the command was stopped and the rest discarded\n`
            : stderr,
          code: status.code,
          timedOut: status.timedOut,
          ...(truncated ? { truncated: true as const } : {}),
        });
      });
      this.failures.add(reject);
      proc.once('exit', () => this.failures.delete(reject));
    });
  }

  close(): void {
    this.socket.end();
  }

  private dispatch(frame: Frame): void {
    if (frame.channel === 0) {
      const ping = frame.type === FrameType.pong ? this.pings.shift() : undefined;
      if (!ping) return;
      const status = parsePayload(StatusPayload, frame);
      if (status.ok) ping.resolve(status.value);
      else ping.reject(new Error(`the sandbox sent a bad ${status.error}`));
      return;
    }
    const proc = this.processes.get(frame.channel);
    if (!proc) return;
    switch (frame.type) {
      case FrameType.stdout:
        proc.emit('stdout', frame.payload);
        break;
      case FrameType.stderr:
        proc.emit('stderr', frame.payload);
        break;
      case FrameType.exit: {
        const exit = parsePayload(ExitPayload, frame);
        if (exit.ok) this.end(proc, exit.value);
        else
          this.end(
            proc,
            { code: 255, signal: null, timedOut: false },
            `the sandbox sent a bad ${exit.error}`,
          );
        break;
      }
      case FrameType.error: {
        // From the agent, a command that could not start (127, as a shell says); from the mux, a
        // channel it ended (it gives the code).
        const error = parsePayload(ErrorPayload, frame);
        const message = error.ok ? error.value.message : `the sandbox sent a bad ${error.error}`;
        const code = error.ok ? (error.value.code ?? 127) : 255;
        this.end(proc, { code, signal: null, timedOut: false }, message);
        break;
      }
      default:
        break; // the mux passes on only the types above
    }
  }

  /** A process's last event: `message` (why it ended early) on stderr, then its exit. */
  private end(proc: GuestProcess, status: ExitStatus, message?: string): void {
    this.processes.delete(proc.channel);
    if (message) proc.emit('stderr', Buffer.from(message + '\n'));
    proc.emit('exit', status);
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.closed = error;
    for (const reject of this.failures) reject(error);
    for (const { reject } of this.pings.splice(0)) reject(error);
    for (const proc of this.processes.values())
      proc.emit('exit', { code: 255, signal: null, timedOut: false });
    this.processes.clear();
  }
}
