/**
 * Every message between the browser and the server: the JSON shapes of the HTTP API and the frames
 * of the terminal WebSocket. This file builds under both tsconfigs (no DOM, no Node): it uses only
 * Uint8Array, TextEncoder and TextDecoder, which both environments have.
 *
 * Terminal socket (one per terminal, ttyd style): every frame is binary and starts with one command
 * byte. Browser → server: input, resize, ack. Server → browser: output, event (JSON).
 */

import type { TopologyView } from './topology/types.ts';

/** One piece of text in both languages; the page shows `zh` first unless English is chosen. */
export interface Text {
  zh: string;
  en: string;
}

// ---------------------------------------------------------------------------------------------
// HTTP API (JSON)

/**
 * Who the page is for. The session secret is in an HttpOnly cookie and never here; the terminal
 * socket authenticates by that cookie and the page's Origin, and the page sends `?learner=` so a
 * page left open while the browser signed in as someone else is told, not attached to them.
 */
export interface SessionView {
  /** Public (it is in logs and folder names too): not a credential. */
  learnerId: string;
  name: string | null;
  /** Class mode (DOCKERLAB_CLASS_CODE): learners sign in with the code, their name and a PIN. */
  classCode: boolean;
}

/**
 * Class sign-in. The first sign-in with a name sets its PIN (4-8 digits); later ones must give the
 * same PIN, so nobody can open a classmate's shell by typing their name.
 */
export interface SignIn {
  classCode: string;
  name: string;
  pin: string;
}

export interface LessonSummary {
  id: string;
  title: string;
  chapter: number;
  hosts: number;
  minutes: number;
  steps: number;
  /** Steps done, by the learner or skipped (`skipped` of them were skipped: their solution was run). */
  passed: number;
  skipped: number;
  /** Set when the lesson file has mistakes: it cannot be opened, and this says why (`file:line: what — fix`). */
  broken?: Text;
}

export interface StepView {
  index: number;
  title: string;
  /** Markdown; never contains the check or the solution. */
  body: string;
  hintCount: number;
}

export interface StepProgress {
  passed: boolean;
  skipped: boolean;
  /** The hints the learner has opened so far, in order. */
  hints: string[];
  /** Reference solution per host, present only once the learner asked to see it. */
  solution: Record<string, string> | null;
  /** The last check result of this step, if any ran since the server started. */
  last: CheckView | null;
}

export interface ProgressView {
  currentStep: number;
  steps: StepProgress[];
}

export interface LessonView {
  id: string;
  /** In the language asked for: the English twin's title, or the lesson's `title_en`. */
  title: string;
  /** The language of the lesson's text: `zh` when English was asked for and the lesson has none (the page says so). */
  textLang: 'zh' | 'en';
  chapter: number;
  hosts: string[];
  minutes: number;
  intro: string;
  summary: string;
  steps: StepView[];
  progress: ProgressView;
}

export interface ConditionView {
  kind: string;
  ok: boolean;
  weak: boolean;
  messages: Text[];
}

export interface CheckView {
  lessonId: string;
  step: number;
  ok: boolean;
  conditions: ConditionView[];
  elapsedMs: number;
  /** Why the check could not run at all (no lab yet, the check threw). */
  error?: Text;
  /**
   * Not passed, but no verdict either: the learner has not worked on the step since it became
   * current (no command started then, no 检查 pressed), or started another command before the state
   * had settled. The page says 还没检测到, not ✗.
   */
  tentative?: boolean;
}

export interface HintView {
  hints: string[];
}

export interface SolutionView {
  solution: Record<string, string>;
}

export interface ApiError {
  error: Text;
}

/**
 * Every JSON route, as `METHOD /path` with `:name` for a part of the URL, and what its body holds
 * and what it answers. The server's table (engine/server/api.ts) has a handler for each, typed by
 * this; the page calls them by name (web/api.ts), so a route cannot drift between the two.
 * A `:step` part is a step index (digits); any other part is an id (`[\w-]+`).
 */
export interface ApiRoutes {
  'GET /api/session': { body: null; reply: SessionView };
  /** 401 in class mode until signed in (any route); 429 with Retry-After when done too often. */
  'POST /api/session': { body: SignIn; reply: SessionView };
  'GET /api/lessons': { body: null; reply: LessonSummary[] };
  'GET /api/lessons/:lesson': { body: null; reply: LessonView };
  /** Checks `step` (default: the current one) now, starting the lab if needed. */
  'POST /api/lessons/:lesson/check': { body: { step?: number }; reply: CheckView };
  'POST /api/lessons/:lesson/current': { body: { step: number }; reply: ProgressView };
  'POST /api/lessons/:lesson/steps/:step/hint': { body: null; reply: HintView };
  'POST /api/lessons/:lesson/steps/:step/solution': { body: null; reply: SolutionView };
  'POST /api/lessons/:lesson/steps/:step/skip': { body: null; reply: ProgressView };
  /**
   * "从头做这一步": the lab goes back to how it was when the step (the current one) began — a
   * checkpoint taken then — and its shells start anew; 409 when there is no such checkpoint.
   */
  'POST /api/lessons/:lesson/steps/:step/restart': { body: null; reply: ProgressView };
  'GET /api/lab': { body: null; reply: LabStatus };
  /**
   * "重置实验机器": the learner's lab is thrown away (its containers and files with it) and a new
   * one made for `lesson`, with the finished steps redone; progress is kept.
   */
  'POST /api/lab/reset': { body: { lesson: string }; reply: LabStatus };
  /** The learner's lab as a graph, and what each command changed (409 until the lab is ready). */
  'GET /api/lessons/:lesson/topology': { body: null; reply: TopologyView };
}

export type ApiRoute = keyof ApiRoutes;

type ParamNames<P extends string> = P extends `${string}:${infer N}/${infer Rest}`
  ? N | ParamNames<`/${Rest}`>
  : P extends `${string}:${infer N}`
    ? N
    : never;

/** The URL parts a route needs, by name: `{ lesson: '01-files', step: 2 }`. */
export type RouteParams<R extends ApiRoute> = Record<ParamNames<R>, string | number>;

export function routeMethod(route: ApiRoute): 'GET' | 'POST' {
  return route.startsWith('GET ') ? 'GET' : 'POST';
}

/** The path of `route` with its parts filled in (each percent-encoded). */
export function apiPath<R extends ApiRoute>(route: R, params: RouteParams<R>): string {
  const values = params as Record<string, string | number>;
  return route
    .slice(route.indexOf(' ') + 1)
    .replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(String(values[name])));
}

// ---------------------------------------------------------------------------------------------
// Lab status and events pushed over the terminal socket

export type LabStatus =
  | { state: 'idle' }
  | { state: 'queued'; position: number }
  /** `notice`: why a new lab is being made (the old one failed, or the learner reset it). */
  | { state: 'starting'; detail: Text; notice?: Text }
  /**
   * `preview`: the path prefix of this learner's port previews (`<preview><host>/<port>/`); it holds
   * a capability of its own, so it is the only way in. `notice`: something the learner should know
   * about this lab (it replaced a failed one; a finished step could not be redone).
   */
  | { state: 'ready'; labId: string; preview: string; notice?: Text }
  | { state: 'stopped'; reason: Text }
  | { state: 'failed'; reason: Text };

export type ServerEvent =
  | { type: 'lab'; status: LabStatus }
  | { type: 'check'; result: CheckView; progress: ProgressView }
  | { type: 'checking'; lessonId: string; step: number }
  /** A step's reference solution running for the learner (跳过这一步), as it goes. */
  | { type: 'skip'; lessonId: string; step: number; progress: SkipProgress }
  /**
   * The lab may have changed: a command ended in one of the learner's shells, or a step's solution
   * was run for them (skip). `step`: the step the learner was on. The topology refreshes on it.
   */
  | { type: 'command'; lessonId: string; step: number }
  | { type: 'exit'; code: number };

/**
 * What a skip shows while it runs: the scripts (host → bash) it is about to run, each host's
 * script starting, their output as it comes (prompts and marks removed), and how it ended.
 */
export type SkipProgress =
  | { phase: 'start'; scripts: Record<string, string> }
  | { phase: 'host'; host: string }
  | { phase: 'output'; host: string; text: string }
  | { phase: 'end'; ok: boolean; elapsedMs: number; error?: Text };

/**
 * WebSocket close codes of our own (4000–4999 are the application's). After `replaced` and
 * `stopped` the page does not reconnect by itself; after anything else it does.
 */
export const CloseCode = {
  /** The same terminal was opened in another window. */
  replaced: 4001,
  /** The lab was stopped (idle, or the server is shutting down). */
  stopped: 4003,
} as const;

/** Command bytes (ASCII digits, as ttyd does, so a frame is readable in a packet dump). */
export const ClientCommand = { input: 0x30, resize: 0x31, ack: 0x32 } as const;
export const ServerCommand = { output: 0x30, event: 0x31 } as const;

export type ClientFrame =
  | { type: 'input'; data: Uint8Array }
  | { type: 'resize'; cols: number; rows: number }
  /** Bytes of output the browser's terminal has finished rendering since the last ack. */
  | { type: 'ack'; bytes: number };

export type ServerFrame = { type: 'output'; data: Uint8Array } | { type: 'event'; event: ServerEvent };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function frame(command: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out[0] = command;
  out.set(payload, 1);
  return out;
}

function json(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

function unreachable(x: never): never {
  throw new Error(`unknown frame ${JSON.stringify(x)}`);
}

/**
 * Input is sent in frames of at most this many bytes: a pasted megabyte would otherwise be one
 * frame over the server's limit (1 MiB), which closes the socket (1009).
 */
export const maxInputFrameBytes = 16 * 1024;

/** Splits typed or pasted bytes into frames of at most `max` bytes, never inside a UTF-8 character. */
export function splitInput(bytes: Uint8Array, max = maxInputFrameBytes): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + max, bytes.length);
    // A byte 10xxxxxx continues a character: cut before the character instead (at most 3 back).
    if (end < bytes.length) {
      let back = end;
      while (back > start && back > end - 4 && (bytes[back]! & 0xc0) === 0x80) back--;
      if (back > start) end = back;
    }
    out.push(bytes.subarray(start, end));
    start = end;
  }
  return out;
}

export function encodeClientFrame(f: ClientFrame): Uint8Array {
  switch (f.type) {
    case 'input':
      return frame(ClientCommand.input, f.data);
    case 'resize':
      return frame(ClientCommand.resize, json({ cols: f.cols, rows: f.rows }));
    case 'ack':
      return frame(ClientCommand.ack, json({ bytes: f.bytes }));
    default:
      return unreachable(f);
  }
}

/** Returns null for a frame that is empty or carries an unknown command byte (ignored, not fatal). */
export function decodeClientFrame(data: Uint8Array): ClientFrame | null {
  const body = data.subarray(1);
  switch (data[0]) {
    case ClientCommand.input:
      return { type: 'input', data: body };
    case ClientCommand.resize: {
      const { cols, rows } = JSON.parse(decoder.decode(body)) as { cols: unknown; rows: unknown };
      if (!isSize(cols) || !isSize(rows)) return null;
      return { type: 'resize', cols, rows };
    }
    case ClientCommand.ack: {
      const { bytes } = JSON.parse(decoder.decode(body)) as { bytes: unknown };
      return typeof bytes === 'number' && bytes >= 0 ? { type: 'ack', bytes } : null;
    }
    default:
      return null;
  }
}

/** Terminal sizes outside 1..1000 are someone's bug or mischief; node-pty would throw on 0. */
function isSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= 1000;
}

export function encodeServerFrame(f: ServerFrame): Uint8Array {
  switch (f.type) {
    case 'output':
      return frame(ServerCommand.output, f.data);
    case 'event':
      return frame(ServerCommand.event, json(f.event));
    default:
      return unreachable(f);
  }
}

export function decodeServerFrame(data: Uint8Array): ServerFrame | null {
  const body = data.subarray(1);
  switch (data[0]) {
    case ServerCommand.output:
      return { type: 'output', data: body };
    case ServerCommand.event:
      return { type: 'event', event: JSON.parse(decoder.decode(body)) as ServerEvent };
    default:
      return null;
  }
}

/**
 * A terminal client's acks, in batches (the xterm.js flow-control guide): at least `everyBytes`
 * rendered bytes, or whatever was rendered once `delayMs` passed without more. One ack per output
 * frame would send a message back for every keystroke's echo. The server's low watermark (64 KiB)
 * is above `everyBytes`, so a paused shell always gets the ack that resumes it.
 */
export class AckBatch {
  private unacked = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** When the last bytes were rendered (Date.now()). */
  private last = 0;

  constructor(
    private readonly send: (bytes: number) => void,
    private readonly everyBytes = 32 * 1024,
    private readonly delayMs = 20,
  ) {}

  /**
   * `bytes` more are on screen. One timer per quiet spell, not one per call: a keystroke's echo
   * only notes the time, and the timer, once due, waits again for what is left of delayMs.
   */
  rendered(bytes: number): void {
    this.unacked += bytes;
    this.last = Date.now();
    if (this.unacked >= this.everyBytes) this.flush();
    else this.timer ??= setTimeout(() => this.due(), this.delayMs);
  }

  private due(): void {
    this.timer = undefined;
    const quiet = Date.now() - this.last;
    if (quiet >= this.delayMs) this.flush();
    else this.timer = setTimeout(() => this.due(), this.delayMs - quiet);
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.unacked === 0) return;
    const bytes = this.unacked;
    this.unacked = 0;
    this.send(bytes);
  }

  /** Forgets what was not acked yet (the socket it was owed to is gone). */
  reset(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.unacked = 0;
  }
}

/** The terminal socket's path; its query is a TerminalQuery. */
export const terminalPath = '/ws/terminal';

/** What a page says when it opens a terminal socket (the cookie and Origin authenticate it). */
export interface TerminalQuery {
  lesson: string;
  /** `host1`, `host2`, …: which machine of the lab. */
  host: string;
  /** The learner the page was opened for (SessionView.learnerId); another one is refused. */
  learner: string;
  /** The terminal's size in characters, 1..1000. */
  cols: number;
  rows: number;
}

/** The socket's path and query for `q`. */
export function terminalUrlPath(q: TerminalQuery): string {
  const query = new URLSearchParams({
    lesson: q.lesson,
    host: q.host,
    learner: q.learner,
    cols: String(q.cols),
    rows: String(q.rows),
  });
  return `${terminalPath}?${query}`;
}
