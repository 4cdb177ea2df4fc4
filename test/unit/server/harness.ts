/**
 * A real server on a free port with local-bash "labs" and a stand-in evaluator that understands
 * one kind, `file: { path }` (test -e in the lab). Used by the server tests, the browser tests and
 * the benchmark.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { WebSocket } from 'ws';
import { startApp, type App, type AppOptions } from '../../../engine/server/app.ts';
import { localLab } from '../../../engine/server/local-lab.ts';
import type { LabProvider } from '../../../engine/server/workspace.ts';
import type { Evaluate } from '../../../engine/server/course.ts';
import { loadLessons } from '../../../engine/lessons/load.ts';
import {
  AckBatch,
  decodeServerFrame,
  encodeClientFrame,
  terminalPath,
  type ServerEvent,
  type SessionView,
} from '../../../engine/protocol.ts';

const encoder = new TextEncoder();

export const fixtureLessons = path.join(import.meta.dirname, 'fixtures/lessons');

export const fileEvaluate: Evaluate = async (conditions, lab) => {
  const started = Date.now();
  const results = await Promise.all(
    conditions.map(async (c) => {
      const p = (c.params as { path: string }).path;
      const r = await lab.host('host1').exec(`test -e '${p}'`);
      const ok = r.code === 0;
      return {
        kind: c.kind,
        params: c.params,
        ok,
        messages: [
          ok ? { zh: `${p} 存在`, en: `${p} exists` } : { zh: `还没有 ${p}`, en: `${p} is missing` },
        ],
      };
    }),
  );
  return { ok: results.every((r) => r.ok), conditions: results, elapsedMs: Date.now() - started };
};

/**
 * Local labs whose shells have their host's name in $HOSTNAME, as each VM of a real lab does, so a
 * test can tell host2's shell from host1's (both are bash on this machine).
 */
export const namedLocalProvider: LabProvider = {
  start: async (o) => {
    const lab = localLab(o);
    for (const h of lab.hosts) {
      const shell = h.shellCommand.bind(h);
      h.shellCommand = () => {
        const s = shell();
        // bash keeps a HOSTNAME it inherits instead of asking the kernel.
        return { file: 'env', args: [`HOSTNAME=${h.name}`, s.file, ...s.args] };
      };
    }
    return lab;
  },
};

export async function testApp(options: Partial<AppOptions> = {}): Promise<App & { dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-server-'));
  const app = await startApp({
    lessons: await loadLessons(fixtureLessons),
    provider: namedLocalProvider,
    evaluate: fileEvaluate,
    port: 0,
    dbFile: path.join(dir, 'progress.db'),
    distDir: path.join(dir, 'dist'),
    // One test makes dozens of learners from 127.0.0.1; the limits' own tests set them.
    rateLimits: { signInsPerMinute: 10_000, learnersPerHour: 10_000 },
    ...options,
  });
  return Object.assign(app, { dir });
}

/** An HTTP client that keeps the session cookie, like a browser would. */
export class Client {
  cookie = '';
  constructor(
    readonly base: string,
    readonly origin = base.replace(/\/$/, ''),
  ) {}

  async json<T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(new URL(p, this.base), {
      method,
      headers: { cookie: this.cookie, origin: this.origin, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const set = res.headers.get('set-cookie');
    if (set) this.cookie = set.split(';')[0]!;
    return { status: res.status, body: (await res.json()) as T };
  }

  session(): Promise<SessionView> {
    return this.json<SessionView>('GET', '/api/session').then((r) => r.body);
  }
}

/** A terminal socket as the browser uses it: acks output, collects screen text and events. */
export class TermClient {
  output = '';
  /** Output bytes received, and not yet acked (when autoAck is off). */
  received = 0;
  unacked = 0;
  events: ServerEvent[] = [];
  private waiters: (() => void)[] = [];
  readonly ws: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number }>;
  /** Ack as the browser does (AckBatch); off, acks wait for `ackAll`. */
  autoAck = true;
  private readonly acks = new AckBatch((bytes) => this.send({ type: 'ack', bytes }));
  /** A character split across two frames stays whole, as in the browser's terminal. */
  private readonly decoder = new TextDecoder();

  constructor(url: string, headers: Record<string, string>) {
    this.ws = new WebSocket(url, { headers });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) =>
      this.ws.once('close', (code) => (this.acks.reset(), resolve({ code }))),
    );
    this.ws.on('message', (raw: Buffer) => {
      const f = decodeServerFrame(raw);
      if (!f) return;
      if (f.type === 'output') {
        // Keep only the tail (a benchmark may push megabytes through), cut when twice that long.
        this.output += this.decoder.decode(f.data, { stream: true });
        if (this.output.length > 200_000) this.output = this.output.slice(-100_000);
        this.received += f.data.length;
        if (this.autoAck) this.acks.rendered(f.data.length);
        else this.unacked += f.data.length;
      } else {
        this.events.push(f.event);
      }
      this.wake();
    });
  }

  /** Lets `until` look again now (for a caller that handles frames itself, as the bench does). */
  wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** `learnerId` is the page's (SessionView.learnerId): the server refuses a socket for another. */
  static open(app: App, client: Client, learnerId: string, query: Record<string, string>): TermClient {
    const q = new URLSearchParams({ learner: learnerId, cols: '100', rows: '30', ...query });
    return new TermClient(`ws://127.0.0.1:${app.port}${terminalPath}?${q}`, {
      cookie: client.cookie,
      origin: client.origin,
    });
  }

  /** Acks everything held back, as a browser does once it has rendered. */
  ackAll(): void {
    this.send({ type: 'ack', bytes: this.unacked });
    this.unacked = 0;
  }

  send(f: Parameters<typeof encodeClientFrame>[0]): void {
    this.ws.send(encodeClientFrame(f));
  }

  type(text: string): void {
    this.send({ type: 'input', data: encoder.encode(text) });
  }

  /** Resolves once `predicate` holds, checked after each frame; rejects after `ms`. */
  async until(predicate: () => boolean, ms = 15_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline)
        throw new Error(
          `timed out waiting for ${what}; output tail: ${JSON.stringify(this.output.slice(-300))}`,
        );
      // The timer is cleared once woken: a bench waits here per keystroke, and thousands of
      // 100 ms timers left behind would fire in later keys' turns and be timed as the server's.
      await new Promise<void>((r) => {
        const timer = setTimeout(r, 100);
        this.waiters.push(() => (clearTimeout(timer), r()));
      });
    }
  }
}
