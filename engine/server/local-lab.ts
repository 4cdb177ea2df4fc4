/**
 * A stand-in lab for development and the server's tests: each "host" is a bash on this machine.
 * WARNING: lesson setup and solutions then run on this machine as this user. Use it only with
 * lessons whose scripts are harmless (test fixtures), never with the real course as root.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import type { ExecOptions, ExecResult, Lab, LabOptions, SandboxHost } from '../sandbox/api.ts';
import type { LabProvider } from './workspace.ts';
import type { ShellCommand } from './terminal.ts';

/**
 * The interactive shell: bash without the user's rc files, printing the guest's OSC 133 marks.
 * Given through `env VAR=...` because SandboxHost.shellCommand() carries only argv.
 */
export function localShell(): ShellCommand {
  return {
    file: 'env',
    args: [
      `PROMPT_COMMAND=printf '\\033]133;D;%s\\007\\033]133;A\\007' "$?"`,
      `PS0=\\033]133;C\\007`,
      `PS1=local\\$ \\[\\033]133;B\\007\\]`,
      'bash',
      '--noprofile',
      '--norc',
      '-i',
    ],
  };
}

function exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { env: { ...process.env, ...options.env }, detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-child.pid!, 'SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      options.onOutput?.('stdout', d);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onOutput?.('stderr', d);
    });
    child.stdin.on('error', () => {}); // EPIPE when the script does not read its stdin
    child.stdin.end(options.stdin ?? '');
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: code ?? 128 + (signal ? signalNumber(signal) : 0), timedOut });
    });
  });
}

/** SandboxHost.ask on this machine: the request to a unix socket, its answer until it closes. */
function ask(socket: string, request: string, options: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve) => {
    const conn = net.createConnection(socket);
    const chunks: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.destroy();
    }, options.timeoutMs ?? 60_000);
    const done = (code: number, stderr = '') => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(chunks).toString('utf8'), stderr, code, timedOut });
    };
    conn.on('data', (d) => chunks.push(d));
    conn.on('error', (e) => done(1, `cannot reach ${socket}: ${e.message}\n`));
    conn.on('close', (hadError) => {
      if (!hadError) done(timedOut ? 137 : 0);
    });
    conn.end(request);
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1;
}

export function localLab(options: LabOptions = {}, shell: () => ShellCommand = localShell): Lab {
  const hosts: SandboxHost[] = Array.from({ length: options.hosts ?? 1 }, (_, i) => ({
    name: `host${i + 1}`,
    address: `127.0.0.${11 + i}`,
    exec,
    ask,
    shellCommand: () => {
      const s = shell();
      return { file: s.file, args: s.args };
    },
  }));
  let down = false;
  return {
    id: 'local-' + crypto.randomBytes(3).toString('hex'),
    hosts,
    host(name) {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new Error(`local lab has no host "${name}"`);
      return h;
    },
    down: async () => {
      down = true;
    },
    get isDown() {
      return down;
    },
  } as Lab;
}

export const localProvider: LabProvider = { start: async (o) => localLab(o) };
