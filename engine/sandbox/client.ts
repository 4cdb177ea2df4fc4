/**
 * A connection to one VM's mux socket (served by the lab's supervisor): many commands and shells
 * at once, each on its own channel, over the guest's virtio-serial line.
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import { encodeFrame, FrameDecoder, FrameType, json, type Frame } from './frame.ts';
import type { ExecOptions, ExecResult } from './api.ts';

export interface ExitStatus {
  code: number;
  signal: number | null;
  timedOut: boolean;
}

export interface OpenRequest {
  argv?: string[];
  pty?: boolean;
  cols?: number;
  rows?: number;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

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
    if (data.length) this.client.send(this.channel, FrameType.stdin, Buffer.from(data));
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
  private pings: ((status: unknown) => void)[] = [];

  private constructor(private readonly socket: net.Socket) {
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) this.dispatch(frame);
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
  status(): Promise<unknown> {
    return new Promise((resolve) => {
      this.pings.push(resolve);
      this.send(0, FrameType.ping);
    });
  }

  exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const proc = this.open({ argv, timeoutMs, env: options.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    proc.on('stdout', (b) => (out.push(b), proc.ack(b.length)));
    proc.on('stderr', (b) => (err.push(b), proc.ack(b.length)));
    if (options.stdin !== undefined) proc.write(Buffer.from(options.stdin));
    proc.end();
    return new Promise((resolve, reject) => {
      // The guest enforces timeoutMs; this guard only catches a guest that stopped answering.
      const guard = setTimeout(() => {
        proc.kill();
        reject(
          new Error(`no answer from the sandbox within ${timeoutMs + 10_000} ms running ${argv.join(' ')}`),
        );
      }, timeoutMs + 10_000);
      proc.once('exit', (status) => {
        clearTimeout(guard);
        resolve({
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
          code: status.code,
          timedOut: status.timedOut,
        });
      });
      this.failures.add(reject);
      proc.once('exit', () => this.failures.delete(reject));
    });
  }

  private readonly failures = new Set<(e: Error) => void>();

  close(): void {
    this.socket.end();
  }

  private dispatch(frame: Frame): void {
    if (frame.channel === 0) {
      if (frame.type === FrameType.pong) this.pings.shift()?.(json(frame));
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
      case FrameType.exit:
        this.processes.delete(frame.channel);
        proc.emit('exit', json<ExitStatus>(frame));
        break;
      case FrameType.error:
        this.processes.delete(frame.channel);
        proc.emit('stderr', Buffer.from(json<{ message: string }>(frame).message + '\n'));
        proc.emit('exit', { code: 127, signal: null, timedOut: false });
        break;
      default:
        break;
    }
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.closed = error;
    for (const reject of this.failures) reject(error);
    for (const proc of this.processes.values())
      proc.emit('exit', { code: 255, signal: null, timedOut: false });
    this.processes.clear();
  }
}
