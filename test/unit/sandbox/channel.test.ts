/**
 * The guest channel end to end without a VM: the real agent (guest/agent.py) on a pty that socat
 * links to a unix socket, as QEMU's virtio-serial chardev would, the real Mux, the real client.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { GuestClient } from '../../../engine/sandbox/client.ts';
import { CHANNEL_WINDOW_BYTES } from '../../../engine/sandbox/mux.ts';
import { startAgent, until, type RunningAgent } from './agent-harness.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerlab-channel-'));
// The agent runs under strace so that a descriptor closed twice shows up (see the last test).
const trace = path.join(dir, 'agent.strace');
const spareStatus = path.join(dir, 'spare');
const rc = path.join(dir, 'rc');
fs.writeFileSync(
  rc,
  `HISTFILE=${dir}/history\nHISTSIZE=100\nshopt -s histappend\nPROMPT_COMMAND='history -a'\nPS1='spare$ '\n`,
);
const loginShell = ['bash', '--rcfile', rc, '-i'];
let agent: RunningAgent;
let client: GuestClient;

beforeAll(async () => {
  agent = await startAgent(dir, {
    wrap: ['strace', '-f', '--seccomp-bpf', '-o', trace, '-e', 'trace=close'],
    // The terminals' login shell: a bash with history in this folder, not the machine's bash -l.
    env: { DOCKERLAB_LOGIN_SHELL: JSON.stringify(loginShell), DOCKERLAB_SPARE_STATUS: spareStatus },
  });
  client = await GuestClient.connect(agent.sock);
});

afterAll(() => {
  client?.close();
  agent?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('guest channel', () => {
  it('returns stdout, stderr and the exit status', async () => {
    const r = await client.exec(['bash', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toEqual({ stdout: 'out\n', stderr: 'err\n', code: 3, timedOut: false });
  });

  it('feeds stdin and reports signals as 128+N', async () => {
    expect((await client.exec(['tr', 'a-z', 'A-Z'], { stdin: 'hello' })).stdout).toBe('HELLO');
    expect((await client.exec(['bash', '-c', 'kill -TERM $$'])).code).toBe(143);
  });

  it('kills a command at its timeout, with its children', async () => {
    const started = Date.now();
    const r = await client.exec(['bash', '-c', 'sleep 30 & sleep 30'], { timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('runs many commands at once, each on its own channel', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.exec(['bash', '-c', `sleep 0.0${i % 10}; echo ${i}`])),
    );
    expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
  });

  it('never hands one command the pipe of another, however they interleave', async () => {
    // Channels end while others start, so descriptor numbers are reused at once; a double close
    // would cut another command's output or stdin.
    for (let round = 0; round < 4; round++) {
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          client.exec(['bash', '-c', `sleep 0.${(i * 7 + round) % 10}; read x; echo ${i}$x`], {
            stdin: `-${round}\n`,
            timeoutMs: 5000,
          }),
        ),
      );
      expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 24 }, (_, i) => `${i}-${round}\n`));
    }
  });

  it('carries large output intact', async () => {
    const r = await client.exec(['bash', '-c', 'seq 1 300000']);
    expect(r.stdout.length).toBe(1_988_895); // seq 1 300000 | wc -c;
    expect(r.stdout.endsWith('299999\n300000\n')).toBe(true);
  });

  it('carries stdin larger than one frame may be', async () => {
    const stdin = Buffer.alloc(20 * 1024 * 1024, 'z'); // more than MAX_CLIENT_FRAME_BYTES (16 MiB)
    expect((await client.exec(['wc', '-c'], { stdin })).stdout).toBe(`${stdin.length}\n`);
  });

  it('gives a pty its size, resizes it and delivers Ctrl-C', async () => {
    const shell = client.open({ pty: true, cols: 100, rows: 30, argv: ['bash', '--norc', '-i'] });
    let screen = '';
    shell.on('stdout', (b) => ((screen += b.toString()), shell.ack(b.length)));
    shell.write('stty size\n');
    await until(() => screen.includes('30 100'), 'initial size');
    shell.resize(120, 40);
    shell.write('stty size\n');
    await until(() => screen.includes('40 120'), 'resized');
    shell.write('sleep 50\n');
    await new Promise((r) => setTimeout(r, 200));
    shell.write('\x03exit 4\n');
    const status = await new Promise<{ code: number }>((r) => shell.once('exit', r));
    expect(status.code).toBe(4);
  });

  it('stops reading a channel whose output is not acknowledged, and resumes on ack', async () => {
    // Synced on events, never on time: under load the agent may take any time to fill its window.
    const proc = client.open({ argv: ['yes'] });
    let received = 0;
    let stage = 'filling the window';
    // It timed out once (20 s) in a fresh clone's full unit run, and never alone: say where.
    onTestFailed(() => console.log(`stopped while ${stage}, ${received} bytes received`));
    proc.on('stdout', (b) => (received += b.length));
    const reached = (bytes: number) =>
      new Promise<void>((resolve) => {
        const check = () => received >= bytes && (proc.off('stdout', check), resolve());
        proc.on('stdout', check);
      });
    await reached(256 * 1024); // the agent's HIGH_WATER: it stops reading once this much is unacked
    // A command's exit comes after everything the agent had sent before it started the command.
    stage = 'running a command after the window filled';
    await client.exec(['true']);
    const paused = received;
    expect(paused).toBeLessThanOrEqual(CHANNEL_WINDOW_BYTES);
    stage = 'running a second command';
    await client.exec(['true']);
    expect(received).toBe(paused);
    stage = 'waiting for output after the ack';
    const resumed = reached(paused + 1);
    proc.ack(received);
    await resumed;
    stage = 'waiting for the exit';
    proc.kill();
    await new Promise((r) => proc.once('exit', r));
  }, 60_000); // the other tests of this file ran 7× slower beside busy tests than alone

  it('ends a channel closed while its output streams, and the agent lives on', async () => {
    // A CLOSE and the command's ready pipe in one select() batch once made the agent read a pipe
    // it had just forgotten (KeyError): the agent died and the exit never came.
    for (let round = 0; round < 100; round++) {
      const proc = client.open({ argv: ['yes'] });
      proc.on('stdout', (b) => proc.ack(b.length));
      await new Promise((r) => proc.once('stdout', r));
      const exit = new Promise<{ code: number }>((r) => proc.once('exit', r));
      proc.kill();
      expect((await exit).code).toBe(137);
    }
    expect((await client.exec(['echo', 'alive'])).stdout).toBe('alive\n');
  }, 120_000); // 100 commands started and killed: ~3 s alone, over 20 s beside a VM fork-bomb test

  it('kills what a client started when the client disconnects', async () => {
    const other = await GuestClient.connect(path.join(dir, 'mux.sock'));
    const marker = `dockerlab-test-${process.pid}`;
    other.open({ argv: ['bash', '-c', `exec -a ${marker} sleep 60`] });
    await until(() => fs.readdirSync('/proc').some((p) => cmdline(p).includes(marker)), 'process started');
    other.close();
    await until(() => !fs.readdirSync('/proc').some((p) => cmdline(p).includes(marker)), 'process killed');
  });

  it('asks a guest unix socket without a process: the request in, the answer out, 0 at its close', async () => {
    const sock = path.join(dir, 'ask.sock');
    const requests: string[] = [];
    const server = net.createServer((c) => {
      let request = '';
      c.on('data', (d) => (request += d));
      // Answers only once the request ended: the agent closes its writing side after it.
      c.on('end', () => {
        requests.push(request);
        c.end(`answer to ${request.trim()}`);
      });
    });
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      expect(await client.ask(sock, 'containers,images\n')).toEqual({
        stdout: 'answer to containers,images',
        stderr: '',
        code: 0,
        timedOut: false,
      });
      expect(requests).toEqual(['containers,images\n']);
    } finally {
      server.close();
    }
  });

  it('ends an ask at its deadline, and one nobody answers at once, naming the socket', async () => {
    const sock = path.join(dir, 'mute.sock');
    let closed = false;
    // Answers a second after the request ended (allowHalfOpen: its side stays open till then),
    // long after the deadline: by then the agent must have closed the connection (EPIPE).
    let late = '';
    const server = net.createServer({ allowHalfOpen: true }, (c) => {
      c.resume().on('end', () => setTimeout(() => c.end('too late'), 1000));
      c.on('error', (e) => (late = e.message)).on('close', () => (closed = true));
    });
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      const started = Date.now();
      const r = await client.ask(sock, 'x\n', { timeoutMs: 300 });
      expect(r).toMatchObject({ stdout: '', code: 137, timedOut: true });
      expect(Date.now() - started).toBeLessThan(5000);
      await until(() => closed, 'the connection closed');
      expect(late).toMatch(/EPIPE|ECONNRESET/);
    } finally {
      server.close();
    }
    for (const missing of [path.join(dir, 'none.sock'), sock /* closed: nobody listens */]) {
      const r = await client.ask(missing, 'x\n');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(missing);
    }
    // A file that is not a socket, and a path no socket can have (too long): refused the same way.
    fs.writeFileSync(path.join(dir, 'plain'), '');
    for (const bad of [path.join(dir, 'plain'), `/${'x'.repeat(200)}`])
      expect((await client.ask(bad, 'x\n')).code).not.toBe(0);
    expect((await client.exec(['echo', 'alive'])).stdout).toBe('alive\n');
  });

  it('closes each descriptor once (a second close could cut another command short)', () => {
    // -f traces the commands too (--seccomp-bpf keeps that cheap); keep the agent's own lines:
    // "PID  close(N) = 0", the agent being the first process in the trace.
    const lines = fs.readFileSync(trace, 'utf8').split('\n');
    const agent = lines[0]!.split(/\s+/)[0];
    const closes = lines.filter((l) => l.split(/\s+/)[0] === agent && l.includes('close('));
    expect(closes.length).toBeGreaterThan(100);
    expect(closes.filter((l) => l.includes('EBADF'))).toEqual([]);
  });
});

function cmdline(pid: string): string {
  try {
    return /^\d+$/.test(pid) ? fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
  } catch {
    return '';
  }
}

describe('the spare shell', () => {
  /** The agent's spare shell now: its pid, or null while there is none. */
  const spare = () =>
    fs.existsSync(spareStatus) ? Number(fs.readFileSync(spareStatus, 'utf8').split(' ')[0]) : null;
  function terminal(cols = 100, rows = 30) {
    const shell = client.open({ pty: true, cols, rows });
    const t = { shell, screen: '' };
    shell.on('stdout', (b) => ((t.screen += b.toString()), shell.ack(b.length)));
    return t;
  }
  const exited = (t: ReturnType<typeof terminal>) => new Promise((r) => t.shell.once('exit', r));

  it('is what a terminal gets, prompt and all, at the size it asked for', async () => {
    await until(() => spare() !== null, 'a spare shell');
    const pid = spare()!;
    const t = terminal(100, 30); // the spare was made at 80x24
    await until(() => t.screen.includes('spare$ '), 'the prompt');
    t.shell.write('echo pid=$$; stty size\n');
    await until(() => t.screen.includes('30 100'), 'the size');
    expect(t.screen).toContain(`pid=${pid}`);
    expect(spare()).toBe(null); // none while a terminal is open
    const done = exited(t);
    t.shell.write('exit\n');
    await done;
  });

  it("is made after the last terminal closed, so it has that terminal's history", async () => {
    await until(() => spare() !== null, 'a spare shell');
    const a = terminal();
    await until(() => a.screen.includes('spare$ '), 'the prompt');
    a.shell.write('echo marker-$((6*7))\n');
    await until(() => a.screen.includes('marker-42'), 'the command');
    let done = exited(a);
    a.shell.write('exit\n');
    await done;
    await until(() => spare() !== null, 'a new spare shell');
    const b = terminal();
    await until(() => b.screen.includes('spare$ '), 'the prompt');
    // (A pattern that does not match this command line itself, which is in the history too.)
    b.shell.write('history | grep -c "marker-[$]"\n');
    // grep -c's answer on a line of its own (after bash turns bracketed paste off: "\r1\r\n").
    await until(() => /\r[01]\r\n/.test(b.screen), 'an answer');
    expect(b.screen).toMatch(/\r1\r\n/);
    // A second terminal while one is open starts its own shell, and both work.
    const c = terminal();
    await until(() => c.screen.includes('spare$ '), 'the second prompt');
    c.shell.write('echo second-$((1+1))\n');
    await until(() => c.screen.includes('second-2'), 'the second shell');
    // A command (argv) never takes the spare, nor does one appear while a terminal is open.
    expect((await client.exec(['bash', '-c', 'echo ran'])).stdout).toBe('ran\n');
    expect(spare()).toBe(null);
    for (const t of [b, c]) {
      done = exited(t);
      t.shell.write('exit\n');
      await done;
    }
    await until(() => spare() !== null, 'a spare shell again');
  });
});
