/**
 * Web server benchmarks, called by `npm run bench` as `bench(lab, say)`:
 * - keystroke echo round trip through the server vs a node-pty spawned directly and written as the
 *   server writes its ptys (PtyInput), both on a LOCAL bash, so the difference is the server
 *   (WebSocket, batching, headless screen), not the VM;
 * - throughput of `cat` of a 50 MB file to a WebSocket client that acks (flow control on), vs the
 *   same cat read straight from a pty, plus the server's peak RSS growth and Ctrl-C after `yes`;
 * - with the real lab: time from a command's end (OSC 133 D seen by the client) to the ✓ event;
 * - with the real lab: keystroke echo in its shell, idle and while 30 other learners (local bash
 *   labs on the same server) type and run `yes`, bounded by `timeout`: p95 under load ÷ p95 idle.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type IPty } from 'node-pty';
import { WebSocket, WebSocketServer } from 'ws';
import type { Lab } from '../engine/sandbox/api.ts';
import { localLab, localShell } from '../engine/server/local-lab.ts';
import { Client, TermClient, testApp } from '../test/unit/server/harness.ts';
import { loadLessons } from '../engine/lessons/load.ts';
import { decodeServerFrame } from '../engine/protocol.ts';
import type { Figures } from './figures.ts';
import { percentile, ms } from './stats.ts';
import { PtyInput } from '../engine/server/pty-input.ts';

type Say = (line: string) => void;
const prompt = /local[#$] /;

/**
 * Keys typed before the timed ones, in both echo figures: a server has typed many keys before a
 * learner's next one, and the first thousand or so run while V8 is still compiling the path (the
 * p50 of keys 1–500 through the server was 0.143 ms, of keys 2001–5000 0.083–0.099 ms).
 */
const warmUpKeys = 1000;

/** One way to type a key and see it come back; `key()` times one keystroke. */
interface EchoPath {
  key(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Ends a bench's own pty: SIGHUP as a closed terminal sends, then SIGKILL if the shell is still
 * there 2 s later. (One full bench run kept a local bash alive after its SIGHUP, in `poll`, and with
 * it the pty, so the bench never ended; not seen again when run alone.)
 */
async function endPty(pty: IPty): Promise<void> {
  const exited = new Promise<boolean>((r) => pty.onExit(() => r(true)));
  const within = (ms: number) =>
    Promise.race([exited, new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
  pty.kill();
  if (await within(2000)) return;
  pty.kill('SIGKILL');
  await within(2000);
}

/** Keystrokes in a directly spawned pty: the floor the server adds to. */
async function directPath(): Promise<EchoPath> {
  const sh = localShell();
  const pty = spawn(sh.file, sh.args, { cols: 100, rows: 30, env: process.env as Record<string, string> });
  let out = '';
  const wake = wakeOnData();
  pty.onData((d) => ((out += d), wake.fire()));
  await wake.until(() => prompt.test(out), 10_000);
  // Written as the server writes its ptys, so the two differ only in what the server adds.
  const input = new PtyInput(pty, () => {});
  const key = Buffer.from('x');
  let typed = 0;
  return {
    async key() {
      out = '';
      const t = performance.now();
      input.write(key);
      await wake.until(() => out.includes('x'), 5000);
      const elapsed = performance.now() - t;
      if (++typed % 50 === 0) input.write(Buffer.from('\x15')); // Ctrl-U: keep the line short
      return elapsed;
    },
    close: async () => (input.close(), await endPty(pty)),
  };
}

/**
 * One byte to a bare WebSocket server that sends it straight back, on loopback in this process:
 * what any server that speaks WebSocket to the browser adds to an echo before it does anything.
 */
async function wsFloorPath(): Promise<EchoPath> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  server.on('connection', (ws) => ws.on('message', (m: Buffer) => ws.send(m)));
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as { port: number };
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  return {
    async key() {
      const t = performance.now();
      await new Promise((r) => (ws.once('message', r), ws.send(Buffer.from('x'))));
      return performance.now() - t;
    },
    async close() {
      ws.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The same through the server: browser-like client, binary frames, acks. */
async function serverPath(): Promise<EchoPath> {
  const app = await testApp();
  const c = new Client(app.url);
  const t = TermClient.open(app, c, (await c.session()).learnerId, { lesson: '01-files' });
  await t.until(() => prompt.test(t.output), 20_000, 'the prompt');
  let typed = 0;
  return {
    async key() {
      t.output = '';
      const start = performance.now();
      t.type('x');
      await t.until(() => t.output.includes('x'), 5000, 'the echo');
      const elapsed = performance.now() - start;
      if (++typed % 50 === 0) t.type('\x15');
      return elapsed;
    },
    async close() {
      t.ws.close();
      await app.close();
    },
  };
}

/**
 * `n` keystrokes on each path, side by side: after every path's warm-up, blocks of 50 keys take
 * turns, so a noisy moment of the machine falls on all of them alike (one after the other, a
 * ratio of two p50s moved between 1.03× and 1.50× from run to run).
 */
export async function echoSideBySide(
  n: number,
): Promise<{ direct: number[]; served: number[]; floor: number[] }> {
  const paths = [await directPath(), await serverPath(), await wsFloorPath()];
  try {
    for (const p of paths) for (let i = 0; i < warmUpKeys; i++) await p.key();
    const times: number[][] = paths.map(() => []);
    for (let block = 0; block < n / 50; block++)
      for (const [i, p] of paths.entries()) for (let k = 0; k < 50; k++) times[i]!.push(await p.key());
    const [direct, served, floor] = times as [number[], number[], number[]];
    return { direct, served, floor };
  } finally {
    for (const p of paths) await p.close();
  }
}

function bigFile(mb: number): string {
  const file = path.join(os.tmpdir(), `dockerlab-bench-${mb}mb.txt`);
  if (!fs.existsSync(file) || fs.statSync(file).size !== mb * 1024 * 1024) {
    const line =
      'dockerlab throughput benchmark line, plain ASCII text 0123456789 abcdefghijklmnopqrstuvwxyz\n';
    const block = line.repeat(Math.ceil(65536 / line.length)).slice(0, 65536);
    const fd = fs.openSync(file, 'w');
    for (let i = 0; i < mb * 16; i++) fs.writeSync(fd, block);
    fs.closeSync(fd);
  }
  return file;
}

export async function catDirect(file: string): Promise<number> {
  const sh = localShell();
  const pty = spawn(sh.file, sh.args, { cols: 100, rows: 30, env: process.env as Record<string, string> });
  let tail = '';
  const wake = wakeOnData();
  pty.onData((d) => ((tail = (tail + d).slice(-200)), wake.fire()));
  await wake.until(() => prompt.test(tail), 10_000);
  const t = performance.now();
  pty.write(`cat ${file}; echo CAT-$((1+1))-DONE\r`);
  await wake.until(() => tail.includes('CAT-2-DONE'), 300_000);
  const elapsed = performance.now() - t;
  await endPty(pty);
  return elapsed;
}

export async function catServer(file: string): Promise<{ ms: number; rssGrowthMb: number; ctrlCMs: number }> {
  const app = await testApp();
  try {
    const c = new Client(app.url);
    const t = TermClient.open(app, c, (await c.session()).learnerId, { lesson: '01-files' });
    await t.until(() => prompt.test(t.output), 20_000, 'the prompt');
    leanClient(t);
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const start = performance.now();
    t.type(`cat ${file}; echo CAT-$((1+1))-DONE\r`);
    await t.until(() => t.output.includes('CAT-2-DONE'), 300_000, 'the end of cat');
    const elapsed = performance.now() - start;
    clearInterval(sampler);
    // Ctrl-C after `yes`: how long until the prompt is back on the client.
    t.type('yes\r');
    await t.until(() => t.received > 0 && t.output.includes('y\r\ny\r\n'), 10_000, 'yes');
    await new Promise((r) => setTimeout(r, 500));
    t.output = '';
    const c0 = performance.now();
    t.type('\x03');
    await t.until(() => /\^C\r\n[^]*local[#$] /.test(t.output), 10_000, 'the prompt after Ctrl-C');
    const ctrlCMs = performance.now() - c0;
    t.ws.close();
    return { ms: elapsed, rssGrowthMb: (peak - rss0) / 1e6, ctrlCMs };
  } finally {
    await app.close();
  }
}

/**
 * Makes `t` receive as a browser in another process costs this one: each output frame is acked at
 * once and only its last bytes are kept (`output`, for the end marker), instead of the harness's
 * 100 KB tail rebuilt per frame, which cost this process as much as the server's own work and
 * would be counted against the server.
 */
function leanClient(t: TermClient): void {
  t.ws.removeAllListeners('message');
  t.ws.on('message', (raw: Buffer) => {
    const f = decodeServerFrame(raw);
    if (f?.type !== 'output') return;
    t.output = (t.output + Buffer.from(f.data.subarray(-256)).toString('latin1')).slice(-512);
    t.received += f.data.length;
    t.send({ type: 'ack', bytes: f.data.length });
    t.wake();
  });
}

/** Command end → ✓ with the real lab and lesson 15's first step; `lab` is lent, never stopped. */
export async function commandToCheck(lab: Lab, runs: number): Promise<number[]> {
  const lessons = (await loadLessons('lessons')).filter((l) => l.id.startsWith('15-'));
  if (lessons.length === 0) throw new Error('lesson 15 (lessons/15-*.md) is missing');
  const lent: Lab = { ...lab, hosts: lab.hosts, host: (n) => lab.host(n), down: async () => {} };
  const { evaluateConditions } = await import('../engine/checks/evaluate.ts');
  // Each run is a new learner holding a slot until idle: allow them all (they share the one lab).
  const app = await testApp({
    lessons,
    provider: { start: async () => lent },
    evaluate: evaluateConditions,
    maxLabs: runs + 1,
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const c = new Client(app.url); // a new learner each run: step 1 is the current step again
      const t = TermClient.open(app, c, (await c.session()).learnerId, { lesson: lessons[0]!.id });
      // The prompt's end mark (OSC 133 B) says the shell is ready for input.
      await t
        .until(() => t.output.includes('\x1b]133;B'), 300_000, 'the VM prompt')
        .catch((e: Error) => {
          throw new Error(`${e.message}; events: ${JSON.stringify(t.events)}`);
        });
      t.output = '';
      t.type('ip netns add ns1; ip netns add ns2; ip netns exec ns1 ip link set lo up\r');
      await t.until(() => t.output.includes('\x1b]133;D;'), 60_000, 'the command end');
      const end = performance.now();
      await t.until(() => t.events.some((e) => e.type === 'check' && e.result.ok), 60_000, 'the ✓');
      times.push(performance.now() - end);
      t.ws.close();
      await lab.host('host1').exec('ip netns del ns1; ip netns del ns2; true');
    }
  } finally {
    await app.close();
  }
  return times;
}

/** Keystrokes typed one at a time into `t`, each timed until it is echoed. */
async function echoTimes(t: TermClient, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    t.output = '';
    const start = performance.now();
    t.type('x');
    await t.until(() => t.output.includes('x'), 30_000, 'the echo');
    times.push(performance.now() - start);
    if (i % 40 === 39) t.type('\x15');
  }
  t.type('\x15');
  return times;
}

/**
 * Echo in the real lab's shell with the server otherwise idle, then while `learners` others (local
 * bash labs on the same server) run `yes` for at most `loadS` seconds and keep typing.
 */
export async function echoUnderLoad(
  lab: Lab,
  learners: number,
  keys: number,
  loadS = 40,
): Promise<{ idle: number[]; loaded: number[]; loadedBytes: number }> {
  let lent = false;
  const app = await testApp({
    // The first learner gets the real lab (lent: never stopped here); the others a local bash each.
    provider: {
      start: async (o) => {
        if (lent) return localLab(o);
        lent = true;
        return { ...lab, host: (n: string) => lab.host(n), down: async () => {} };
      },
    },
    maxLabs: learners + 2,
  });
  const others: TermClient[] = [];
  const typers: NodeJS.Timeout[] = [];
  try {
    const c = new Client(app.url);
    const vm = TermClient.open(app, c, (await c.session()).learnerId, { lesson: '01-files' });
    await vm.until(() => vm.output.includes('\x1b]133;B'), 300_000, 'the VM prompt');
    const idle = await echoTimes(vm, keys);
    for (let i = 0; i < learners; i++) {
      const o = new Client(app.url);
      const t = TermClient.open(app, o, (await o.session()).learnerId, { lesson: '01-files' });
      others.push(t);
    }
    await Promise.all(others.map((t) => t.until(() => prompt.test(t.output), 60_000, 'a local prompt')));
    for (const t of others) {
      t.received = 0;
      t.type(`timeout ${loadS} yes dockerlab-load; echo LOAD-$((1+1))-DONE\r`);
      // Typing while yes runs: the keys reach the pty (yes ignores them), as a restless learner's would.
      typers.push(setInterval(() => t.type('a'), 200));
    }
    await Promise.all(others.map((t) => t.until(() => t.received > 100_000, 60_000, 'yes output')));
    const loaded = await echoTimes(vm, keys);
    const loadedBytes = others.reduce((n, t) => n + t.received, 0);
    for (const timer of typers) clearInterval(timer);
    // Every `yes` ends by itself (timeout): wait for the shells to be back, then leave.
    await Promise.all(
      others.map((t) => t.until(() => t.output.includes('LOAD-2-DONE'), (loadS + 60) * 1000, 'yes to end')),
    );
    vm.ws.close();
    return { idle, loaded, loadedBytes };
  } finally {
    for (const timer of typers) clearInterval(timer);
    for (const t of others) t.ws.close();
    await app.close();
  }
}

/**
 * Waits for a condition on a pty's output, checked each time data arrives (as the server's client
 * is woken by each frame): no polling interval that would add its own latency to the direct figures.
 */
function wakeOnData(): { fire(): void; until(p: () => boolean, timeoutMs: number): Promise<void> } {
  let waiter: (() => void) | null = null;
  return {
    fire: () => waiter?.(),
    async until(p, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!p()) {
        if (Date.now() > deadline) throw new Error('benchmark timed out');
        await new Promise<void>((r) => {
          const timer = setTimeout(r, 100);
          waiter = () => (clearTimeout(timer), r());
        });
      }
      waiter = null;
    },
  };
}

export async function bench(lab: Lab, say: Say): Promise<Figures> {
  const n = 2000;
  const { direct, served, floor } = await echoSideBySide(n);
  const p50d = percentile(direct, 50);
  const p50s = percentile(served, 50);
  const p50w = percentile(floor, 50);
  say(
    `键入回显（本机 bash）/ keystroke echo, local bash, ${n} keys: direct pty (written as the server writes it) p50 ${ms(p50d)} p95 ${ms(percentile(direct, 95))}; ` +
      `through the server p50 ${ms(p50s)} p95 ${ms(percentile(served, 95))}; server adds ×${(p50s / p50d).toFixed(2)} (p50); ` +
      `a bare WebSocket echo (no pty, no server) p50 ${ms(p50w)}, so direct pty + WebSocket alone is ×${((p50d + p50w) / p50d).toFixed(2)}`,
  );
  const file = bigFile(50);
  const d = await catDirect(file);
  const s = await catServer(file);
  const mbps = (t: number) => (50 / (t / 1000)).toFixed(1);
  say(
    `cat 50 MB: direct pty ${ms(d)} (${mbps(d)} MB/s); to an acking WebSocket client ${ms(s.ms)} (${mbps(s.ms)} MB/s), ` +
      `×${(s.ms / d).toFixed(2)} slower; server RSS grew ≤ ${s.rssGrowthMb.toFixed(0)} MB; Ctrl-C after yes → prompt in ${ms(s.ctrlCMs)}`,
  );
  const checks = await commandToCheck(lab, 3);
  say(
    `命令结束到 ✓ / command end → ✓ (lesson 15 step 1, real lab, ${checks.length} runs): ` +
      `p50 ${ms(percentile(checks, 50))}, max ${ms(Math.max(...checks))}`,
  );
  const learners = 30;
  const load = await echoUnderLoad(lab, learners, 60);
  const idle95 = percentile(load.idle, 95);
  const loaded95 = percentile(load.loaded, 95);
  say(
    `负载下的回显 / echo in a real lab's shell while ${learners} learners run \`yes\` and type on the same server ` +
      `(${(load.loadedBytes / 1e6).toFixed(0)} MB streamed meanwhile): idle p50 ${ms(percentile(load.idle, 50))} ` +
      `p95 ${ms(idle95)}; under load p50 ${ms(percentile(load.loaded, 50))} p95 ${ms(loaded95)}; ` +
      `p95 under load ÷ idle ×${(loaded95 / idle95).toFixed(2)}`,
  );
  return {
    echoDirectP50Ms: p50d,
    echoWsFloorP50Ms: p50w,
    echoServerP50Ms: p50s,
    catDirectMBps: 50 / (d / 1000),
    catServerMBps: 50 / (s.ms / 1000),
    // Browser-like client → server → the real VM's shell → back, the server otherwise idle.
    echoVmP50Ms: percentile(load.idle, 50),
    echoVmP95Ms: idle95,
  };
}
