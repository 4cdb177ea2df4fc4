// The one script runner against a real bash and the real guest bashrc (in a temporary HOME, its log
// file moved there): typed blocks are recorded with their exit status as a learner's typing is,
// strict runs stop at the failing line and name it, lenient runs go on, and the output is clean.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecOptions, ExecResult } from '../../../engine/sandbox/api.ts';
import { runScripts, describeFailure } from '../../../engine/lessons/run.ts';
import { readSolutions } from '../../../engine/verify/cli.ts';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-run-'));
const log = path.join(home, '.dockerlab_commands');
const rc = fs.readFileSync(path.join(import.meta.dirname, '../../../engine/sandbox/guest/bashrc'), 'utf8');
fs.writeFileSync(path.join(home, '.bashrc'), rc.replaceAll('/root/.dockerlab_commands', log).replaceAll('/root/.bash_history', path.join(home, '.bash_history')));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

/** A "host" that is this machine's bash, as the guest agent would run it (`bash -c`, env merged). */
const local = {
  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve) => {
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8', ...options.env };
      const p = spawn('bash', ['-c', command], { env, cwd: home });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (b: Buffer) => ((stdout += b.toString()), options.onOutput?.('stdout', b)));
      p.stderr.on('data', (b: Buffer) => ((stderr += b.toString()), options.onOutput?.('stderr', b)));
      p.stdin.on('error', () => undefined); // a script that never reads its stdin may end first
      p.stdin.end(options.stdin ?? '');
      p.on('close', (code) => resolve({ stdout, stderr, code: code ?? 255, timedOut: false }));
    });
  },
};
const lab = { host: () => local };

/** The recorded commands: [status, command]. */
const recorded = () =>
  fs.existsSync(log)
    ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => {
        const [status, , , command] = l.split('\t');
        return [status, command];
      })
    : [];

describe('runScripts', () => {
  it('records a typed block command by command with real statuses, and runs all of a lenient one', async () => {
    fs.rmSync(log, { force: true });
    const r = await runScripts(lab, { host1: 'echo one\nls /nonexistent\nfalse | true\necho two' }, { mode: 'lenient', as: 'typed' });
    expect(r.ok).toBe(true); // the last command's status: bash -i ends with it
    expect(r.runs[0]!.stdout).toBe('one\ntwo\n');
    expect(recorded()).toEqual([
      ['0', 'echo one'],
      ['2', 'ls /nonexistent'],
      ['0', 'false | true'],
      ['0', 'echo two'],
    ]);
  });

  it('stops a strict typed block at the failing command and names its line, pipefail included', async () => {
    fs.rmSync(log, { force: true });
    const chunks: string[] = [];
    const r = await runScripts(
      lab,
      { host1: 'echo start\ncat <<X\nin a heredoc\nX\nfalse | true\necho never' },
      { mode: 'strict', as: 'typed', onOutput: (_h, s, t) => void chunks.push(`${s}:${t}`) },
    );
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ host: 'host1', code: 1, line: 5, command: 'false | true' });
    expect(r.runs[0]!.stdout).toBe('start\nin a heredoc\n');
    expect(r.runs[0]!.stderr).not.toMatch(/job control|PS1=|\u001b|dockerlab-failed-line/); // eslint-disable-line no-control-regex
    expect(chunks.join('')).toContain('stdout:start');
    expect(recorded().map((c) => c[1])).toEqual(['echo start', 'cat <<X in a heredoc X']);
    expect(describeFailure(r.failure!).en).toBe('the commands on host1 failed at line 5 (false | true) with exit code 1: ');
  });

  it('runs setup as a plain script: strict, nothing recorded, hosts in order, stopping at the first failure', async () => {
    fs.rmSync(log, { force: true });
    const hosts: string[] = [];
    const r = await runScripts(lab, { host1: 'true', host2: 'echo x\nexit 4\necho y', host3: 'true' }, { mode: 'strict', as: 'script', onStart: (h) => void hosts.push(h) });
    expect(hosts).toEqual(['host1', 'host2']);
    expect(r.failure).toMatchObject({ host: 'host2', code: 4, outputTail: 'x' });
    expect(recorded()).toEqual([]);
  });
});

describe('readSolutions (--solution)', () => {
  it('reads FILE, host2=FILE, and a file of ```solution [host] blocks', async () => {
    const a = path.join(home, 'a.sh');
    const b = path.join(home, 'b.md');
    fs.writeFileSync(a, 'ip link\n');
    fs.writeFileSync(b, '说明\n\n```solution host2\nip route\n```\n\n```solution\nip addr\n```\n');
    expect(await readSolutions([a], 'host1')).toEqual({ host1: 'ip link\n' });
    expect(await readSolutions([`host2=${a}`, b], 'host1')).toEqual({ host2: 'ip link\n\nip route', host1: 'ip addr' });
    await expect(readSolutions([`hostx=${a}`], 'host1')).rejects.toThrow(/cannot read hostx=/);
    await expect(readSolutions([a], 'node2')).rejects.toThrow(/"node2" is not a host name/);
  });
});
