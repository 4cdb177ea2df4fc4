/** A minimal QMP client: enough to stop a VM, save its RAM to a file and quit. */
import net from 'node:net';

export class Qmp {
  private buffer = '';
  private waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const msg = JSON.parse(this.buffer.slice(0, nl)) as { return?: unknown; error?: { desc: string } };
        this.buffer = this.buffer.slice(nl + 1);
        if ('return' in msg) this.waiting.shift()?.resolve(msg.return);
        else if (msg.error) this.waiting.shift()?.reject(new Error(`QMP: ${msg.error.desc}`));
      }
    });
  }

  static async connect(path: string): Promise<Qmp> {
    const socket = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.createConnection(path, () => resolve(s));
      s.once('error', reject);
    });
    const qmp = new Qmp(socket);
    await qmp.command('qmp_capabilities');
    return qmp;
  }

  command(execute: string, args?: object): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(JSON.stringify({ execute, arguments: args }) + '\n');
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
