/**
 * Malformed input for the server, sent over raw TCP (an HTTP or WebSocket client library would
 * refuse to send most of it): crafted cases that once killed the server, and random ones from a
 * seeded generator, so a failure names a case that can be replayed.
 */
import crypto from 'node:crypto';
import net from 'node:net';

/** What came back on one connection: the status of the first answer (0: none) and the raw bytes. */
export interface RawAnswer {
  status: number;
  text: string;
}

/** mulberry32: small, seeded, good enough to pick fuzz inputs reproducibly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: () => number, p: number) => r() < p;

function randomText(r: () => number, alphabet: string, max: number): string {
  const n = Math.floor(r() * (max + 1));
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

/**
 * Sends `bytes` and collects the answer until the server closes (or `ms` passes). With `halfClose`
 * the client's side is shut after sending, as a script or a stranger might; Node's server then
 * drops any answer still being written (a browser never does this).
 */
export function rawRequest(
  port: number,
  bytes: Buffer | string,
  o: { halfClose?: boolean; ms?: number } = {},
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0), text });
    };
    const timer = setTimeout(done, o.ms ?? 5000);
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', done);
    socket.on('close', done);
    if (o.halfClose) socket.end(bytes);
    else socket.write(bytes);
  });
}

// ---------------------------------------------------------------------------------------------
// WebSocket frames by hand (RFC 6455 §5.2); a client's frames are masked unless we say otherwise.

export interface FrameSpec {
  opcode: number;
  payload: Buffer;
  fin?: boolean;
  rsv?: number;
  masked?: boolean;
  /** Claim this payload length in the header instead of the real one. */
  claimedLength?: number;
}

export function wsFrame(f: FrameSpec): Buffer {
  const len = f.claimedLength ?? f.payload.length;
  const masked = f.masked ?? true;
  const head: number[] = [((f.fin ?? true) ? 0x80 : 0) | ((f.rsv ?? 0) << 4) | (f.opcode & 0x0f)];
  const m = masked ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (len < 126) head.push(m | len);
  else if (len < 65536) {
    head.push(m | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(len);
  } else {
    head.push(m | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(len));
  }
  if (!masked) return Buffer.concat([Buffer.from(head), ext, f.payload]);
  const key = crypto.randomBytes(4);
  const body = Buffer.from(f.payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}

/** The close code the server sent, if a close frame is among its (unmasked) frames. */
export function closeCodeIn(bytes: Buffer): number | null {
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let len = bytes[at + 1]! & 0x7f;
    let start = at + 2;
    if (len === 126) {
      if (start + 2 > bytes.length) return null;
      len = bytes.readUInt16BE(start);
      start += 2;
    } else if (len === 127) {
      if (start + 8 > bytes.length) return null;
      len = Number(bytes.readBigUInt64BE(start));
      start += 8;
    }
    if (opcode === 0x8) return len >= 2 && start + 2 <= bytes.length ? bytes.readUInt16BE(start) : 1005;
    at = start + len;
  }
  return null;
}

export function upgradeRequest(o: {
  path: string;
  cookie?: string;
  origin?: string;
  host?: string;
  key?: string | null;
  version?: string;
  upgrade?: string;
  extra?: string;
}): string {
  const lines = [
    `GET ${o.path} HTTP/1.1`,
    `Host: ${o.host ?? '127.0.0.1'}`,
    `Upgrade: ${o.upgrade ?? 'websocket'}`,
    'Connection: Upgrade',
    `Sec-WebSocket-Version: ${o.version ?? '13'}`,
  ];
  if (o.key !== null) lines.push(`Sec-WebSocket-Key: ${o.key ?? crypto.randomBytes(16).toString('base64')}`);
  if (o.cookie !== undefined) lines.push(`Cookie: ${o.cookie}`);
  if (o.origin !== undefined) lines.push(`Origin: ${o.origin}`);
  if (o.extra) lines.push(o.extra);
  return lines.join('\r\n') + '\r\n\r\n';
}

/**
 * Opens a raw WebSocket (`request` is a whole upgrade request), sends `frames` once the 101 arrived,
 * and collects what the server sends until it closes the connection (or `ms` passes).
 */
export function rawSocket(
  port: number,
  request: string,
  frames: Buffer[],
  ms = 5000,
): Promise<{ status: number; closeCode: number | null; text: string }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let status = 0;
    let bodyStart = -1;
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const frames = bodyStart >= 0 ? buf.subarray(bodyStart) : Buffer.alloc(0);
      resolve({
        status,
        closeCode: status === 101 ? closeCodeIn(frames) : null,
        text: buf.subarray(0, 300).toString('latin1'),
      });
    };
    const timer = setTimeout(done, ms);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (bodyStart >= 0) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      bodyStart = end + 4;
      status = Number(/^HTTP\/1\.1 (\d{3})/.exec(buf.toString('latin1', 0, end))?.[1] ?? 0);
      if (status !== 101) return;
      for (const f of frames) socket.write(f);
      // A peer that closes cleanly after its frames; the server's close frame (if any) comes first.
      socket.write(wsFrame({ opcode: 0x8, payload: Buffer.from([0x03, 0xe8]) }));
    });
    socket.write(request);
  });
}

// ---------------------------------------------------------------------------------------------
// Random requests: mostly well-formed enough to reach our handlers, with malformed parts in them.

const pathAlphabet = 'abz019/%:[]?&=#.\\@!~*\'()$,;+ -_\t"<>{}|^`';
const prefixes = [
  '/',
  '//',
  '/api/',
  '/api/session',
  '/api/lessons',
  '/api/lessons/01-files',
  '/api/lessons/01-files/check',
  '/api/lessons/01-files/steps/0/hint',
  '/api/lab',
  '/preview/',
  '/preview/host1/80/',
  '/preview/host1/99999/',
  '/ws/terminal',
  '/assets/',
  '',
  '*',
  'http://127.0.0.1/',
  '/..%2f..%2fetc/passwd',
];
const pieces = [
  '%',
  '%z',
  '%e2%82',
  '%ff',
  '%00',
  '%%',
  '[',
  '//[',
  ':b/',
  '..',
  '\u00ff',
  '?lang=%',
  '?a=%zz&b',
];

function randomPath(r: () => number): string {
  let p = pick(r, prefixes);
  const parts = Math.floor(r() * 4);
  for (let i = 0; i < parts; i++) p += chance(r, 0.5) ? pick(r, pieces) : randomText(r, pathAlphabet, 12);
  return p;
}

export function randomCookie(r: () => number, sid: string): string {
  const parts: string[] = [];
  const n = Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    parts.push(
      pick(r, [
        `dl_sid=${sid}`,
        'dl_sid=%',
        'dl_sid=',
        `dl_sid=${sid}%`,
        'theme=50%',
        '=x',
        'a',
        ';;',
        `x=${randomText(r, '%;=, "\\abc\u00e9', 20)}`,
        `dl_sid=${randomText(r, 'abcXYZ019-_%', 40)}`,
      ]),
    );
  }
  return parts.join(pick(r, ['; ', ';', ',', ' ; ']));
}

const bodies = [
  '',
  '{',
  'null',
  '[]',
  '"x"',
  '{"name":{}}',
  '{"name":"a","classCode":1}',
  '{"step":"x"}',
  '{"step":1e999}',
  '{"step":-1}',
  '{"__proto__":{"x":1}}',
  '\u0000\u00ff',
];

export function randomRequest(r: () => number, port: number, sid: string): string {
  const method = pick(r, ['GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'G\u00e9T', '']);
  const version = pick(r, ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', 'http/1.1']);
  const lines = [`${method} ${randomPath(r)} ${version}`];
  if (chance(r, 0.85))
    lines.push(`Host: ${chance(r, 0.85) ? `127.0.0.1:${port}` : randomText(r, 'ab.:1[]%', 15)}`);
  if (chance(r, 0.7)) lines.push(`Cookie: ${randomCookie(r, sid)}`);
  if (chance(r, 0.5))
    lines.push(`Origin: ${pick(r, [`http://127.0.0.1:${port}`, 'http://evil.example', 'null', '%', ''])}`);
  let body = method === 'POST' || chance(r, 0.1) ? pick(r, bodies) : '';
  if (chance(r, 0.2)) body += randomText(r, '{}[]":,0a\\', 30);
  const framing = pick(r, ['length', 'length', 'chunked', 'bad-chunked', 'wrong-length', 'none']);
  if (framing === 'length') lines.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  else if (framing === 'wrong-length')
    lines.push(`Content-Length: ${pick(r, ['-1', '1e3', 'x', '99999', '3'])}`);
  else if (framing === 'chunked' || framing === 'bad-chunked') {
    lines.push('Transfer-Encoding: chunked');
    body =
      framing === 'chunked'
        ? `${Buffer.byteLength(body, 'latin1').toString(16)}\r\n${body}\r\n0\r\n\r\n`
        : `zz\r\n${body}\r\n`;
  }
  if (chance(r, 0.2)) lines.push(`${randomText(r, 'X-ab: \u00ff\t', 10)}: ${randomText(r, 'v%\u00ff', 10)}`);
  lines.push('Connection: close');
  return lines.join('\r\n') + '\r\n\r\n' + body;
}

export function randomUpgrade(r: () => number, port: number, sid: string): string {
  return upgradeRequest({
    path: chance(r, 0.6)
      ? `/ws/terminal?lesson=${pick(r, ['01-files', '%', 'nope', ''])}&host=${pick(r, ['host1', 'host9', '%zz', 'host'])}&cols=${pick(r, ['80', '0', '-1', 'x', '99999'])}`
      : randomPath(r),
    host: chance(r, 0.9) ? `127.0.0.1:${port}` : 'evil.example',
    cookie: chance(r, 0.8) ? randomCookie(r, sid) : undefined,
    origin: chance(r, 0.8) ? pick(r, [`http://127.0.0.1:${port}`, 'http://evil.example', 'null']) : undefined,
    key: chance(r, 0.9) ? undefined : pick(r, [null, '', 'short', '%%%%']),
    version: chance(r, 0.9) ? '13' : pick(r, ['8', 'x', '']),
    upgrade: chance(r, 0.9) ? 'websocket' : pick(r, ['h2c', 'WebSocket', '']),
  });
}

/** A random client frame that is never an `input` frame (random bytes must not be typed into a shell). */
export function randomFrame(r: () => number): Buffer {
  const opcode = pick(r, [0x2, 0x2, 0x2, 0x1, 0x0, 0x3, 0x8, 0x9, 0xa, 0xb, 0xf]);
  let payload = crypto.randomBytes(Math.floor(r() * 200));
  if (opcode === 0x2 && chance(r, 0.7)) {
    const body = pick(r, [
      '{"cols":0,"rows":5}',
      '{"bytes":-5}',
      'null',
      '{',
      '{"cols":1e9}',
      '{"bytes":"x"}',
    ]);
    payload = Buffer.concat([Buffer.from([pick(r, [0x31, 0x32, 0x33, 0x00])]), Buffer.from(body)]);
  } else if (payload[0] === 0x30) payload[0] = 0x31;
  return wsFrame({
    opcode,
    payload,
    fin: chance(r, 0.9),
    rsv: chance(r, 0.9) ? 0 : Math.floor(r() * 8),
    masked: chance(r, 0.95),
    claimedLength: chance(r, 0.05) ? pick(r, [2 * 1024 * 1024, 2 ** 53 - 1, 126]) : undefined,
  });
}

// ---------------------------------------------------------------------------------------------
// Crafted cases: each once killed the server, or is a known way to break an HTTP/WebSocket server.

export interface FuzzTarget {
  port: number;
  /** A learner's cookie pair, `dl_sid=…`. */
  cookie: string;
}

export interface Outcome {
  status: number;
  closeCode?: number | null;
}

export interface CraftedCase {
  name: string;
  run(t: FuzzTarget): Promise<Outcome>;
  /** Acceptable HTTP statuses (0: the server closed without an answer) and, for sockets, close codes. */
  status: number[];
  closeCode?: number;
}

const get =
  (path: string, headers: string[] = []) =>
  (t: FuzzTarget) =>
    rawRequest(
      t.port,
      [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${t.port}`, ...headers, 'Connection: close', '', ''].join(
        '\r\n',
      ),
    );

function terminal(t: FuzzTarget, o: { cookie?: string; host?: string; path?: string } = {}): string {
  return upgradeRequest({
    path: o.path ?? '/ws/terminal?lesson=01-files&host=host1',
    host: o.host ?? `127.0.0.1:${t.port}`,
    cookie: o.cookie ?? t.cookie,
    origin: `http://127.0.0.1:${t.port}`,
  });
}

const frames = (list: Buffer[]) => (t: FuzzTarget) => rawSocket(t.port, terminal(t), list);

export const crafted: CraftedCase[] = [
  { name: 'GET //a:b/', run: get('//a:b/'), status: [200] },
  { name: 'GET //[', run: get('//['), status: [200] },
  { name: 'GET /%', run: get('/%'), status: [400] },
  { name: 'GET /%ff (not UTF-8)', run: get('/%ff'), status: [400] },
  { name: 'GET /assets/%00', run: get('/assets/%00'), status: [400] },
  { name: 'GET /api/session?lang=%', run: get('/api/session?lang=%'), status: [200] },
  { name: 'GET /api/% ', run: get('/api/%'), status: [404] },
  {
    name: 'cookie theme=50% on /preview/ (previews read no cookie)',
    run: (t) => get('/preview/host1/80/', [`Cookie: theme=50%; ${t.cookie}`])(t),
    status: [404],
  },
  {
    name: 'cookie theme=50% on a bad preview path',
    run: get('/preview/%/', ['Cookie: theme=50%']),
    status: [404],
  },
  { name: 'cookie dl_sid=% on /api/session', run: get('/api/session', ['Cookie: dl_sid=%']), status: [200] },
  {
    name: 'cookie theme=50% on /api/session',
    run: get('/api/session', ['Cookie: theme=50%']),
    status: [200],
  },
  {
    name: 'Host of another site (DNS rebinding)',
    run: (t) =>
      rawRequest(t.port, 'GET /api/session HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n'),
    status: [421],
  },
  {
    name: 'no Host header',
    run: (t) => rawRequest(t.port, 'GET /api/session HTTP/1.1\r\nConnection: close\r\n\r\n'),
    status: [400, 421],
  },
  {
    name: 'absolute-form target',
    run: (t) =>
      rawRequest(
        t.port,
        `GET http://127.0.0.1:${t.port}/api/session HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nConnection: close\r\n\r\n`,
      ),
    status: [400],
  },
  {
    name: 'OPTIONS *',
    run: (t) =>
      rawRequest(t.port, `OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nConnection: close\r\n\r\n`),
    status: [400],
  },
  {
    name: 'POST a body that is not JSON',
    run: (t) =>
      rawRequest(
        t.port,
        `POST /api/lessons/01-files/check HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nCookie: ${t.cookie}\r\nContent-Length: 1\r\nConnection: close\r\n\r\n{`,
      ),
    status: [400],
  },
  {
    name: 'POST a body shorter than its Content-Length, then FIN',
    run: (t) =>
      rawRequest(
        t.port,
        `POST /api/session HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{"name":`,
        { halfClose: true },
      ),
    status: [0, 400],
  },
  {
    name: 'POST with broken chunked framing',
    run: (t) =>
      rawRequest(
        t.port,
        `POST /api/session HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n`,
      ),
    status: [400],
  },
  {
    name: 'a 100 KB cookie',
    run: (t) => get('/api/session', [`Cookie: x=${'%'.repeat(100_000)}`])(t),
    status: [431],
  },
  { name: 'a NUL in the request line', run: get('/a\0b'), status: [400] },
  {
    name: 'two pipelined requests, the first malformed',
    run: (t) =>
      rawRequest(
        t.port,
        `GET /% HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n\r\nGET //[ HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nConnection: close\r\n\r\n`,
      ),
    status: [400],
  },
  {
    name: 'upgrade to //[',
    run: (t) => rawSocket(t.port, terminal(t, { path: '//[' }), []),
    status: [404],
  },
  {
    name: 'upgrade to /%',
    run: (t) => rawSocket(t.port, terminal(t, { path: '/%' }), []),
    status: [404],
  },
  {
    name: 'upgrade to /ws/terminal?lesson=%',
    run: (t) => rawSocket(t.port, terminal(t, { path: '/ws/terminal?lesson=%' }), []),
    status: [404],
  },
  {
    name: 'upgrade with cookie theme=50%',
    run: (t) => rawSocket(t.port, terminal(t, { cookie: `theme=50%; ${t.cookie}` }), []),
    status: [101],
    closeCode: 1000,
  },
  {
    name: 'upgrade with only cookie theme=50%',
    run: (t) => rawSocket(t.port, terminal(t, { cookie: 'theme=50%' }), []),
    status: [403],
  },
  {
    name: 'upgrade with Host of another site',
    run: (t) => rawSocket(t.port, terminal(t, { host: 'evil.example' }), []),
    status: [421],
  },
  {
    name: 'upgrade without Sec-WebSocket-Key',
    run: (t) =>
      rawSocket(
        t.port,
        upgradeRequest({
          path: '/ws/terminal?lesson=01-files',
          host: `127.0.0.1:${t.port}`,
          cookie: t.cookie,
          origin: `http://127.0.0.1:${t.port}`,
          key: null,
        }),
        [],
      ),
    status: [400],
  },
  {
    name: 'upgrade, then a reset before the answer',
    run: (t) =>
      new Promise<Outcome>((resolve) => {
        const s = net.connect(t.port, '127.0.0.1', () => {
          s.write(terminal(t), () => {
            s.resetAndDestroy();
            resolve({ status: 0 });
          });
        });
        s.on('error', () => resolve({ status: 0 }));
      }),
    status: [0],
  },
  {
    name: 'a frame claiming 2 MiB (over maxPayload)',
    run: frames([wsFrame({ opcode: 0x2, payload: Buffer.alloc(0), claimedLength: 2 * 1024 * 1024 })]),
    status: [101],
    closeCode: 1009,
  },
  {
    name: 'a 1.5 MiB binary frame (a big paste in one frame)',
    run: frames([wsFrame({ opcode: 0x2, payload: Buffer.alloc(1.5 * 1024 * 1024, 0x61) })]),
    status: [101],
    closeCode: 1009,
  },
  {
    name: 'a text frame with invalid UTF-8',
    run: frames([wsFrame({ opcode: 0x1, payload: Buffer.from([0xc3, 0x28, 0xff]) })]),
    status: [101],
    closeCode: 1007,
  },
  {
    name: 'an unmasked client frame',
    run: frames([wsFrame({ opcode: 0x2, payload: Buffer.from('2{}'), masked: false })]),
    status: [101],
    closeCode: 1002,
  },
  {
    name: 'reserved bits set',
    run: frames([wsFrame({ opcode: 0x2, payload: Buffer.from('x'), rsv: 7 })]),
    status: [101],
    closeCode: 1002,
  },
  {
    name: 'a ping of 200 bytes (control frames are at most 125)',
    run: frames([wsFrame({ opcode: 0x9, payload: Buffer.alloc(200) })]),
    status: [101],
    closeCode: 1002,
  },
  {
    name: 'a close frame with code 999',
    run: frames([wsFrame({ opcode: 0x8, payload: Buffer.from([0x03, 0xe7]) })]),
    status: [101],
    closeCode: 1002,
  },
  {
    name: 'malformed resize and ack frames',
    run: frames(
      ['1null', '1{', '1{"cols":0,"rows":0}', '2{"bytes":-1}', '2[]', '2', '', '9'].map((s) =>
        wsFrame({ opcode: 0x2, payload: Buffer.from(s) }),
      ),
    ),
    status: [101],
    closeCode: 1000,
  },
  {
    name: 'an input frame with invalid UTF-8 (a comment, then Ctrl-C)',
    run: frames([wsFrame({ opcode: 0x2, payload: Buffer.from([0x30, 0x23, 0xff, 0xfe, 0xc3, 0x03]) })]),
    status: [101],
    closeCode: 1000,
  },
];
