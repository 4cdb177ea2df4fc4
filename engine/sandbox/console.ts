/**
 * A VM's serial console as a bounded ring: QEMU connects its serial port to a unix socket we
 * listen on, we keep the last RING_BYTES of what the guest printed, and mirror them to
 * `<name>.console.log` (rewritten whole, so it never grows past RING_BYTES however much the guest
 * prints). The tail is what a failure report quotes.
 */
import fs from 'node:fs';
import net from 'node:net';

export const RING_BYTES = 256 * 1024;
const FLUSH_MS = 2000;

export class ConsoleRing {
  private chunks: Buffer[] = [];
  private size = 0;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private socket: net.Socket | null = null;
  /** Bytes the guest printed in all (the ring holds the last RING_BYTES of them). */
  total = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly logFile: string,
  ) {
    server.on('connection', (socket) => {
      this.socket?.destroy(); // one QEMU per console
      this.socket = socket;
      socket.on('data', (chunk) => this.push(chunk));
      socket.on('error', () => socket.destroy());
      socket.on('close', () => this.flush());
    });
  }

  /** Listens at `socketPath` (QEMU connects with `-chardev socket,server=off`). */
  static listen(socketPath: string, logFile: string): Promise<ConsoleRing> {
    fs.rmSync(socketPath, { force: true });
    const server = net.createServer();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve(new ConsoleRing(server, logFile)));
    });
  }

  private push(chunk: Buffer): void {
    this.total += chunk.length;
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0]!.length >= RING_BYTES) this.size -= this.chunks.shift()!.length;
    this.dirty = true;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush();
    }, FLUSH_MS);
  }

  /** The last RING_BYTES printed. */
  contents(): Buffer {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - RING_BYTES));
  }

  /** The last `lines` lines, without terminal control characters. */
  tail(lines: number): string {
    return this.contents()
      .toString('utf8')
      .replace(/\r/g, '')
      .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') // eslint-disable-line no-control-regex
      .split('\n')
      .filter((l) => l.trim())
      .slice(-lines)
      .join('\n');
  }

  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    try {
      fs.writeFileSync(this.logFile, this.contents());
    } catch {
      // the lab's folder is gone (the lab was stopped)
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.flush();
    this.socket?.destroy();
    this.server.close();
  }
}
