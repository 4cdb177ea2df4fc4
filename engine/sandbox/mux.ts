/**
 * Shares one VM's agent line (QEMU's virtio-serial chardev socket) among many clients: each client
 * numbers its channels from 1, the mux maps them onto the line's channels and back. A client that
 * disconnects has its commands and shells killed. Channel 0 is the mux's own: a ping from a client
 * is answered with the VM's status.
 *
 * The line is hostile: the learner is root in the guest and can replace the agent. Every frame
 * from it is checked (payload.ts) and nothing it sends can make the mux hold more than
 * CHANNEL_WINDOW_BYTES per channel: a frame that cannot be read drops the line (`onCorrupt`), a bad
 * payload or output past the flow-control window ends that channel with exit 255 and a message,
 * frames for channels no client opened and unknown frame types are counted and ignored. A client
 * that sends a frame that cannot be read is dropped; one that does not read its output stops
 * getting credit for more.
 */
import net from 'node:net';
import fs from 'node:fs';
import {
  encodeFrame,
  FrameDecoder,
  FrameType,
  frameTypeName,
  MAX_CLIENT_FRAME_BYTES,
  MAX_GUEST_FRAME_BYTES,
  type Frame,
} from './frame.ts';
import {
  AckPayload,
  AgentPongPayload,
  ErrorPayload,
  ExitPayload,
  HelloPayload,
  OpenPayload,
  parsePayload,
  ResizePayload,
  SignalPayload,
  type ErrorMessage,
} from './payload.ts';
import { logger } from '../log.ts';

const log = logger('mux');

/**
 * Output the agent may send on a channel before the client acknowledged it: the agent's HIGH_WATER
 * (256 KiB) plus two reads of 32 KiB (the read that crosses the mark, and one more from the other
 * pipe of the same select() batch). More is a guest ignoring flow control.
 */
export const CHANNEL_WINDOW_BYTES = 256 * 1024 + 2 * 32 * 1024;
/**
 * Output queued for one client above which its acks are held back (until its socket drains), so a
 * client that acknowledges bytes it never read gets no more than a window per channel beyond this.
 */
const CLIENT_QUEUE_BYTES = 1024 * 1024;
/** Channels one client may have open at once: bounds what the mux can queue for it (about 41 MiB). */
export const MAX_CHANNELS_PER_CLIENT = 128;
/** Above what that bound allows, a client is not reading at all: it is dropped. */
const CLIENT_DROP_BYTES = 64 * 1024 * 1024;
/** Bytes queued for the agent above which clients are not read until the line drains. */
const AGENT_QUEUE_BYTES = 1024 * 1024;

/** What the mux saw go wrong, by kind. Each kind is logged the first time, then only counted. */
export interface MuxCounts {
  /** A frame from the agent that could not be read: the line was dropped. */
  corrupt: number;
  /** Frames from the agent for a channel number the mux never opened. */
  unknownChannel: number;
  /** Frames of a type the agent never sends (or no type at all), from the agent or a client. */
  unknownType: number;
  /** Payloads that failed their schema (payload.ts). */
  badPayload: number;
  /** Channels ended because the agent sent output past CHANNEL_WINDOW_BYTES. */
  overCredit: number;
  /** `hello` from an agent that (re)started while channels were open: those channels ended. */
  agentRestarts: number;
  /** Clients dropped for a frame that could not be read or for not reading. */
  droppedClients: number;
}

interface Client {
  socket: net.Socket;
  /** The client's channel number → the line's. */
  channels: Map<number, number>;
}

interface Route {
  client: Client;
  local: number;
  /** Output bytes sent to the client and not yet acknowledged to the agent. */
  unacked: number;
  /** Bytes the client acknowledged that are held back while its socket is full. */
  heldAck: number;
}

export class Mux {
  private readonly routes = new Map<number, Route>();
  private readonly clients = new Set<Client>();
  private nextChannel = 1;
  private server: net.Server | null = null;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private readonly corruptListeners = new Set<(reason: string) => void>();
  private readonly logged = new Set<keyof MuxCounts>();
  private clientsPaused = false;
  private closed = false;
  /** Why the line can no longer be used, once it cannot. */
  private lostReason: string | null = null;
  readonly counts: MuxCounts = {
    corrupt: 0,
    unknownChannel: 0,
    unknownType: 0,
    badPayload: 0,
    overCredit: 0,
    agentRestarts: 0,
    droppedClients: 0,
  };
  /** Set by the owner; sent to clients that ask. */
  status: Record<string, unknown> = { state: 'starting' };

  constructor(private readonly agent: net.Socket) {
    const decoder = new FrameDecoder(MAX_GUEST_FRAME_BYTES);
    agent.on('data', (chunk) => {
      const { frames, error } = decoder.push(chunk);
      for (const frame of frames) if (!this.lostReason) this.fromAgent(frame);
      if (error) this.corrupt(error);
    });
    agent.on('drain', () => this.resumeClients());
    agent.on('error', (e) => this.lose(`the agent line failed: ${e.message}`));
    agent.on('close', () => this.lose('the agent line closed'));
  }

  /** Why the line is unusable (corrupt, closed), or null while it works. */
  get lost(): string | null {
    return this.lostReason;
  }

  /**
   * Calls `listener` once if a frame from the agent cannot be read: the line is out of sync, the
   * mux has dropped it and ended every channel; the VM is of no further use. Returns a remover.
   */
  onCorrupt(listener: (reason: string) => void): () => void {
    this.corruptListeners.add(listener);
    return () => this.corruptListeners.delete(listener);
  }

  /** Resolves once the guest agent answers a ping (asks again every `everyMs`). */
  async waitForAgent(timeoutMs: number, everyMs = 1000): Promise<void> {
    if (this.lostReason) throw new Error(this.lostReason);
    const alive = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    const ping = () => this.toAgent(encodeFrame(0, FrameType.ping));
    const timer = setInterval(ping, everyMs);
    ping();
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        alive,
        new Promise((_, reject) => {
          timeout = setTimeout(
            () => reject(new Error(`the guest agent did not answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
    } finally {
      clearInterval(timer);
      clearTimeout(timeout);
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

  /** Stops serving, drops every client and the agent line. Safe to call twice. */
  close(): void {
    this.closed = true;
    this.server?.close();
    for (const client of this.clients) client.socket.destroy();
    this.agent.destroy();
  }

  private accept(socket: net.Socket): void {
    const client: Client = { socket, channels: new Map() };
    this.clients.add(client);
    if (this.clientsPaused) socket.pause();
    const decoder = new FrameDecoder(MAX_CLIENT_FRAME_BYTES);
    socket.on('data', (chunk) => {
      const { frames, error } = decoder.push(chunk);
      for (const frame of frames) if (!socket.destroyed) this.fromClient(client, frame);
      if (error) this.dropClient(client, error);
    });
    socket.on('drain', () => {
      for (const global of client.channels.values()) this.passAck(this.routes.get(global)!);
    });
    socket.on('close', () => {
      for (const global of client.channels.values()) {
        this.toAgent(encodeFrame(global, FrameType.close));
        this.routes.delete(global);
      }
      client.channels.clear();
      this.clients.delete(client);
    });
    socket.on('error', () => socket.destroy());
  }

  private fromClient(client: Client, frame: Frame): void {
    if (frame.channel === 0) {
      if (frame.type === FrameType.ping) this.toClient(client, encodeFrame(0, FrameType.pong, this.status));
      else this.note('unknownType', `a ${frameTypeName(frame.type)} frame from a client on channel 0`);
      return;
    }
    if (frame.type === FrameType.open) return this.open(client, frame);
    const global = client.channels.get(frame.channel);
    if (global === undefined) return; // that channel has ended; its client has not heard yet
    const route = this.routes.get(global)!;
    switch (frame.type) {
      case FrameType.stdin:
        return this.toAgent(encodeFrame(global, FrameType.stdin, frame.payload));
      case FrameType.close:
        return this.toAgent(encodeFrame(global, FrameType.close));
      case FrameType.resize:
      case FrameType.signal: {
        const schema = frame.type === FrameType.resize ? ResizePayload : SignalPayload;
        const parsed = parsePayload<object>(schema, frame);
        if (parsed.ok) return this.toAgent(encodeFrame(global, frame.type, parsed.value));
        this.note('badPayload', parsed.error);
        return this.endRoute(global, route, `the client sent a bad ${parsed.error}`);
      }
      case FrameType.ack: {
        const parsed = parsePayload(AckPayload, frame);
        if (!parsed.ok) {
          this.note('badPayload', parsed.error);
          return this.endRoute(global, route, `the client sent a bad ${parsed.error}`);
        }
        // Never more than was sent: an ack for bytes that never came would let the agent run ahead.
        route.heldAck += Math.min(parsed.value.bytes, route.unacked - route.heldAck);
        return this.passAck(route);
      }
      default:
        this.note('unknownType', `a ${frameTypeName(frame.type)} frame from a client`);
    }
  }

  private open(client: Client, frame: Frame): void {
    const refuse = (message: string) =>
      this.toClient(client, encodeFrame(frame.channel, FrameType.error, { message, code: 255 }));
    if (client.channels.has(frame.channel))
      return this.dropClient(client, `it opened channel ${frame.channel} twice`);
    if (this.lostReason) return refuse(lineLostMessage(this.lostReason));
    if (client.channels.size >= MAX_CHANNELS_PER_CLIENT)
      return refuse(
        `this connection already has ${MAX_CHANNELS_PER_CLIENT} channels open; wait for some to end`,
      );
    const request = parsePayload(OpenPayload, frame);
    if (!request.ok) {
      this.note('badPayload', request.error);
      return refuse(`the client sent a bad ${request.error}`);
    }
    const global = this.nextChannel++;
    client.channels.set(frame.channel, global);
    this.routes.set(global, { client, local: frame.channel, unacked: 0, heldAck: 0 });
    this.toAgent(encodeFrame(global, FrameType.open, request.value));
  }

  /** Passes a route's acknowledged bytes on to the agent, unless its client is not reading. */
  private passAck(route: Route): void {
    if (!route.heldAck || route.client.socket.writableLength > CLIENT_QUEUE_BYTES) return;
    this.toAgent(encodeFrame(this.globalOf(route), FrameType.ack, { bytes: route.heldAck }));
    route.unacked -= route.heldAck;
    route.heldAck = 0;
  }

  private globalOf(route: Route): number {
    return route.client.channels.get(route.local)!;
  }

  private fromAgent(frame: Frame): void {
    if (frame.channel === 0) return this.fromAgentControl(frame);
    const route = this.routes.get(frame.channel);
    if (!route) {
      // Output and the exit of a channel that was closed from this side still come in; a channel
      // number never opened is the guest's invention.
      if (frame.channel >= this.nextChannel)
        this.note('unknownChannel', `a ${frameTypeName(frame.type)} frame on channel ${frame.channel}`);
      return;
    }
    switch (frame.type) {
      case FrameType.stdout:
      case FrameType.stderr:
        route.unacked += frame.payload.length;
        if (route.unacked > CHANNEL_WINDOW_BYTES) {
          this.note('overCredit', `channel ${frame.channel}`);
          return this.endRoute(
            frame.channel,
            route,
            `the guest sent more than ${CHANNEL_WINDOW_BYTES} bytes of output on this channel without waiting for acknowledgement (flow control)`,
          );
        }
        return this.toClient(route.client, encodeFrame(route.local, frame.type, frame.payload));
      case FrameType.exit:
      case FrameType.error: {
        const parsed =
          frame.type === FrameType.exit
            ? parsePayload(ExitPayload, frame)
            : parsePayload(ErrorPayload, frame);
        if (!parsed.ok) {
          this.note('badPayload', parsed.error);
          return this.endRoute(frame.channel, route, `the guest sent a bad ${parsed.error}`);
        }
        this.forget(frame.channel, route);
        return this.toClient(route.client, encodeFrame(route.local, frame.type, parsed.value));
      }
      default:
        this.note(
          'unknownType',
          `a ${frameTypeName(frame.type)} frame from the agent on channel ${frame.channel}`,
        );
    }
  }

  private fromAgentControl(frame: Frame): void {
    switch (frame.type) {
      case FrameType.hello: {
        const hello = parsePayload(HelloPayload, frame);
        if (!hello.ok) return this.note('badPayload', hello.error);
        // A new agent knows none of the channels: end them all, so that no client waits forever.
        if (this.routes.size) {
          this.counts.agentRestarts++;
          log.warn('the guest agent restarted: ending its open channels', { channels: this.routes.size });
          for (const [global, route] of this.routes)
            this.endRoute(
              global,
              route,
              '客户机里的代理程序重启了，这条命令已中断，请重新运行 / the guest agent restarted and this command was lost; run it again',
            );
        }
        return this.agentAnswered();
      }
      case FrameType.pong: {
        const pong = parsePayload(AgentPongPayload, frame);
        if (!pong.ok) return this.note('badPayload', pong.error);
        return this.agentAnswered();
      }
      default:
        this.note('unknownType', `a ${frameTypeName(frame.type)} frame from the agent on channel 0`);
    }
  }

  private agentAnswered(): void {
    for (const { resolve } of this.waiters.splice(0)) resolve();
  }

  /** Ends a channel from the mux's side: its client gets exit 255 with `message`, the agent a close. */
  private endRoute(global: number, route: Route, message: string): void {
    this.forget(global, route);
    const error: ErrorMessage = { message, code: 255 };
    this.toClient(route.client, encodeFrame(route.local, FrameType.error, error));
    this.toAgent(encodeFrame(global, FrameType.close));
  }

  private forget(global: number, route: Route): void {
    this.routes.delete(global);
    route.client.channels.delete(route.local);
  }

  /** The line is out of sync: drop it, end every channel, tell the owner. */
  private corrupt(reason: string): void {
    if (this.lostReason) return;
    this.counts.corrupt++;
    log.error('dropping the agent line: a frame from the guest could not be read', { reason });
    this.lose(`the guest sent a frame that could not be read (${reason})`);
    this.agent.destroy();
    for (const listener of this.corruptListeners) listener(reason);
  }

  /** Ends every channel with `reason`; new ones are refused from now on. */
  private lose(reason: string): void {
    if (this.lostReason) return;
    this.lostReason = reason;
    for (const [global, route] of this.routes) {
      this.forget(global, route);
      const error: ErrorMessage = { message: lineLostMessage(reason), code: 255 };
      this.toClient(route.client, encodeFrame(route.local, FrameType.error, error));
    }
    for (const { reject } of this.waiters.splice(0)) reject(new Error(reason));
    if (!this.closed) log.warn('the agent line is lost', { reason });
  }

  private toAgent(frame: Buffer): void {
    if (this.lostReason || this.agent.destroyed) return;
    this.agent.write(frame);
    if (!this.clientsPaused && this.agent.writableLength > AGENT_QUEUE_BYTES) {
      this.clientsPaused = true;
      for (const client of this.clients) client.socket.pause();
    }
  }

  private resumeClients(): void {
    if (!this.clientsPaused) return;
    this.clientsPaused = false;
    for (const client of this.clients) client.socket.resume();
  }

  private toClient(client: Client, frame: Buffer): void {
    if (!client.socket.writable) return;
    client.socket.write(frame);
    if (client.socket.writableLength > CLIENT_DROP_BYTES)
      this.dropClient(client, `it left ${client.socket.writableLength} bytes unread`);
  }

  private dropClient(client: Client, reason: string): void {
    this.counts.droppedClients++;
    log.warn('dropping a client of the mux', { reason });
    client.socket.destroy();
  }

  /** Counts an anomaly; logs the first of each kind (a hostile guest could otherwise fill the log). */
  private note(kind: keyof MuxCounts, detail: string): void {
    this.counts[kind]++;
    if (this.logged.has(kind)) return;
    this.logged.add(kind);
    log.warn('ignored a bad frame (later ones of this kind are only counted, see Mux.counts)', {
      kind,
      detail,
    });
  }
}

function lineLostMessage(reason: string): string {
  return `与实验机器的通道已断开，需要重置实验机器 / the channel to the lab machine is lost (${reason}); reset the lab`;
}
