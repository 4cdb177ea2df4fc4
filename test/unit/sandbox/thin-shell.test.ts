/**
 * The thin shell client (engine/sandbox/thin-shell.c) as the server runs it: spawned in node-pty,
 * against the real Mux and the real guest agent (guest/agent.py on a pty that socat links to a unix
 * socket, as QEMU's virtio-serial chardev would). Its shell is the agent's default, `bash -l`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type IPty } from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thinShell } from '../../../engine/sandbox/thin-shell.ts';
import { startAgent, until, type RunningAgent } from './agent-harness.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerlab-thin-'));
let agent: RunningAgent;
let client: string;
let sock: string;

beforeAll(async () => {
  agent = await startAgent(dir);
  sock = agent.sock;
  const built = thinShell();
  if (!built) throw new Error('the thin shell client was not built: is a C compiler (cc) installed?');
  client = built;
});

afterAll(() => {
  agent?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The client in a pty, as the server spawns it; `out` collects what it shows. */
function open(cols = 100, rows = 30, socket = sock) {
  const pty: IPty = spawn(client, [socket], {
    cols,
    rows,
    name: 'xterm-256color',
    env: { TERM: 'xterm-256color' },
  });
  const t = { pty, out: '', code: null as number | null };
  pty.onData((d) => (t.out += d));
  pty.onExit(({ exitCode }) => (t.code = exitCode));
  return t;
}

describe('thin shell client', () => {
  it('runs commands in the guest, with the size of its terminal, and follows a resize', async () => {
    const t = open(100, 30);
    t.pty.write('echo "$((6*7))-ok"; stty size\r');
    await until(() => t.out.includes('42-ok') && t.out.includes('30 100'), 'the command and its size');
    t.pty.resize(120, 40);
    t.out = '';
    t.pty.write('stty size\r');
    await until(() => t.out.includes('40 120'), 'the new size');
    t.pty.write('exit 7\r');
    await until(() => t.code !== null, 'the exit');
    expect(t.code).toBe(7);
  });

  it('answers Ctrl-C while a command floods it, and passes every byte under flow control', async () => {
    const t = open();
    t.pty.write('yes dockerlab-flood\r');
    await until(() => t.out.length > 200_000, 'the flood');
    // The reader stops: output backs up to the guest (its window), never past it; Ctrl-C typed
    // meanwhile still gets through (the client never stops reading its input for its output).
    t.pty.pause();
    await new Promise((r) => setTimeout(r, 300));
    t.pty.write('\x03');
    await new Promise((r) => setTimeout(r, 300));
    t.pty.resume();
    t.out = '';
    t.pty.write('echo after-$((1+1))\r');
    await until(() => t.out.includes('after-2'), 'the prompt after Ctrl-C');
    // 3 MB counted to the byte: nothing lost or doubled on the way through.
    t.out = '';
    t.pty.write('head -c 3000000 /dev/zero | tr "\\0" "\\132"; echo; echo END-$((1+1))\r');
    await until(() => t.out.includes('END-2'), 'the 3 MB', 60_000);
    expect(t.out.split('Z').length - 1).toBe(3_000_000); // \132 is Z: the command line has none
    expect(agent.mux.counts.overCredit).toBe(0);
    t.pty.write('exit\r');
    await until(() => t.code !== null, 'the exit');
    expect(t.code).toBe(0);
  });

  it('ends its shell when its terminal goes away', async () => {
    const t = open();
    t.pty.write('echo $$ > ' + path.join(dir, 'shell.pid') + '\r');
    await until(
      () =>
        fs.existsSync(path.join(dir, 'shell.pid')) &&
        /\d/.test(fs.readFileSync(path.join(dir, 'shell.pid'), 'utf8')),
      'the pid',
    );
    const pid = Number(fs.readFileSync(path.join(dir, 'shell.pid'), 'utf8'));
    t.pty.kill('SIGHUP');
    await until(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the guest shell to end');
  });

  it('says so when the lab cannot be reached, exiting 255', async () => {
    const t = open(80, 24, path.join(dir, 'no-such.sock'));
    await until(() => t.code !== null, 'the exit');
    expect(t.code).toBe(255);
    expect(t.out).toMatch(/cannot reach the sandbox/);
  });
});
