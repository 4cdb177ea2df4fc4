/**
 * Shares one VM's agent line (QEMU's virtio-serial chardev socket) among many clients: each client
 * numbers its channels from 1, the mux maps them onto the line's channels and back. A client that
 * disconnects has its commands and shells killed. Channel 0 is the mux's own: a ping from a client
 * is answered with the VM's status.
 */
import net from 'node:net';
import fs from 'node:fs';
import { encodeFrame, FrameDecoder, FrameType, type Frame } from './frame.ts';

interface Route {
  client: net.Socket;
  local: number;
}

export class Mux {
  private readonly routes = new Map<number, Route>();
  private readonly byClient = new Map<net.Socket, Map<number, number>>();
  private nextChannel = 1;
  private server: net.Server | null = null;
  private agentAlive: (() => void)[] = [];
  /** Set by the owner; sent to clients that ask. */
  status: Record<string, unknown> = { state: 'starting' };

  constructor(private readonly agent: net.Socket) {
    const decoder = new FrameDecoder();
    agent.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) this.fromAgent(frame);
    });
  }

  /** Resolves once the guest agent answers a ping (asks again every `everyMs`). */
  async waitForAgent(timeoutMs: number, everyMs = 1000): Promise<void> {
    const alive = new Promise<void>((resolve) => this.agentAlive.push(resolve));
    const timer = setInterval(() => this.agent.write(encodeFrame(0, FrameType.ping)), everyMs);
    this.agent.write(encodeFrame(0, FrameType.ping));
    try {
      await Promise.race([
        alive,
        new Promise((_, reject) =>
          setTimeout(
            () => reject(new Error(`the guest agent did not answer within ${timeoutMs} ms`)),
            timeoutMs,
          ),
        ),
      ]);
    } finally {
      clearInterval(timer);
    }
  }

  listen(socketPath: string): Promise<void> {
    fs.rmSync(socketPath, { force: true });
    this.server = net.createServer((client) => this.accept(client));
    return new Promise((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(socketPath, resolve);
    });
  }

  close(): void {
    this.server?.close();
    for (const client of this.byClient.keys()) client.destroy();
  }

  private accept(client: net.Socket): void {
    const channels = new Map<number, number>();
    this.byClient.set(client, channels);
    const decoder = new FrameDecoder();
    client.on('data', (chunk) => {
      try {
        for (const frame of decoder.push(chunk)) this.fromClient(client, channels, frame);
      } catch {
        client.destroy(); // a client out of sync loses its connection, not the VM's line
      }
    });
    const gone = () => {
      for (const global of channels.values()) {
        this.agent.write(encodeFrame(global, FrameType.close));
        this.routes.delete(global);
      }
      this.byClient.delete(client);
    };
    client.on('close', gone);
    client.on('error', () => client.destroy());
  }

  private fromClient(client: net.Socket, channels: Map<number, number>, frame: Frame): void {
    if (frame.channel === 0) {
      if (frame.type === FrameType.ping) client.write(encodeFrame(0, FrameType.pong, this.status));
      return;
    }
    let global = channels.get(frame.channel);
    if (frame.type === FrameType.open) {
      global = this.nextChannel++;
      channels.set(frame.channel, global);
      this.routes.set(global, { client, local: frame.channel });
    }
    if (global !== undefined) this.agent.write(encodeFrame(global, frame.type, frame.payload));
  }

  private fromAgent(frame: Frame): void {
    if (frame.channel === 0) {
      if (frame.type === FrameType.pong || frame.type === FrameType.hello) {
        for (const resolve of this.agentAlive.splice(0)) resolve();
      }
      return;
    }
    const route = this.routes.get(frame.channel);
    if (!route) return;
    if (frame.type === FrameType.exit || frame.type === FrameType.error) {
      this.routes.delete(frame.channel);
      this.byClient.get(route.client)?.delete(route.local);
    }
    if (route.client.writable) route.client.write(encodeFrame(route.local, frame.type, frame.payload));
  }
}
