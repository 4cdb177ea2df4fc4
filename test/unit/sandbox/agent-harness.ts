/**
 * The real guest agent (guest/agent.py) without a VM: on a pty that socat links to a unix socket,
 * as QEMU's virtio-serial chardev would, behind the real Mux. For the unit tests of the channel,
 * the spare shell and the thin shell client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Mux } from '../../../engine/sandbox/mux.ts';

export async function until(test: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface RunningAgent {
  mux: Mux;
  /** The mux's socket, where GuestClient and the thin shell connect. */
  sock: string;
  stop(): void;
}

/**
 * Starts the agent in `dir` with `env` added to this process's; `wrap` runs it under another
 * program (e.g. strace's argv, which the agent's argv follows).
 */
export async function startAgent(
  dir: string,
  options: { env?: Record<string, string>; wrap?: string[] } = {},
): Promise<RunningAgent> {
  const children: ChildProcess[] = [];
  const port = path.join(dir, 'port');
  const line = path.join(dir, 'line.sock');
  children.push(spawn('socat', [`PTY,link=${port},raw,echo=0`, `UNIX-LISTEN:${line}`], { detached: true }));
  await until(() => fs.existsSync(port) && fs.existsSync(line), 'socat');
  const argv = [...(options.wrap ?? []), 'python3', path.resolve('engine/sandbox/guest/agent.py'), port];
  children.push(
    spawn(argv[0]!, argv.slice(1), {
      stdio: 'inherit',
      detached: true, // its own group: a wrapper and the agent go together
      env: { ...process.env, ...options.env },
    }),
  );
  const agent = net.createConnection(line);
  await new Promise((r) => agent.once('connect', r));
  const mux = new Mux(agent);
  const sock = path.join(dir, 'mux.sock');
  await mux.listen(sock);
  await mux.waitForAgent(10_000, 200);
  return {
    mux,
    sock,
    stop() {
      mux.close();
      for (const c of children) {
        try {
          process.kill(-c.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}
