/**
 * The one way lesson scripts run in a lab — setup, reference solutions, near-miss blocks, a
 * learner's replayed or skipped steps — for `dockerlab verify` and the server alike, so what verify
 * proves is what learners get.
 *
 * A block a learner would type (`typed`) goes through root's interactive bash, fed on stdin, so the
 * shell records each command and its exit status exactly as it records the learner's (guest/bashrc,
 * /root/.dockerlab_commands); setup (`script`) runs as `bash -c` and leaves no such trace. `strict`
 * stops at the first failing command (`set -eE -o pipefail`) and says which line it was; `lenient`
 * runs everything, as a ```wrong block must (the failing command is often the mistake itself).
 */
import type { ExecResult, SandboxHost } from '../sandbox/api.ts';

export interface RunOptions {
  mode: 'strict' | 'lenient';
  as: 'typed' | 'script';
  /** Per host script. Default 300 000 (a slow VM pulling an image). */
  timeoutMs?: number;
  /** Called as each host's script starts, with the script as written. */
  onStart?(host: string, script: string): void;
  /** Output as it arrives, cleaned of the shell's prompts and terminal marks. */
  onOutput?(host: string, stream: 'stdout' | 'stderr', text: string): void;
}

/** How one host's script ended. */
export interface HostRun {
  host: string;
  code: number;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Why a strict run stopped, or a lenient one could not finish (a timeout). */
export interface RunFailure {
  host: string;
  code: number;
  timedOut: boolean;
  /** 1-based line of the host's script where the failing command is, when bash could tell. */
  line?: number;
  /** That line's text. */
  command?: string;
  /** The last lines of stderr and of both streams together. */
  stderrTail: string;
  outputTail: string;
}

export interface RunResult {
  ok: boolean;
  runs: HostRun[];
  failure?: RunFailure;
}

/** Something that has hosts by name: a Lab. */
export interface Hosts {
  host(name: string): Pick<SandboxHost, 'exec'>;
}

const defaultTimeoutMs = 300_000;
const failedMark = 'dockerlab-failed-line=';

/**
 * Runs `scripts` (host → bash) in the order given. Strict: stops at the first host whose script
 * fails. Lenient: runs every host; `ok` says whether all exited 0, `failure` is set only on timeout.
 */
export async function runScripts(lab: Hosts, scripts: Record<string, string>, options: RunOptions): Promise<RunResult> {
  const runs: HostRun[] = [];
  for (const [host, script] of Object.entries(scripts)) {
    options.onStart?.(host, script);
    const t0 = Date.now();
    const { command, stdin, env } = wrap(script, options);
    const r: ExecResult = await lab.host(host).exec(command, {
      timeoutMs: options.timeoutMs ?? defaultTimeoutMs,
      stdin,
      env,
      onOutput: options.onOutput
        ? (stream, chunk) => {
            const text = clean(chunk.toString('utf8'), options.as);
            if (text) options.onOutput!(host, stream, text);
          }
        : undefined,
    });
    const mark = new RegExp(`${failedMark}(\\d+)`).exec(r.stderr);
    const run: HostRun = { host, code: r.code, timedOut: r.timedOut, stdout: clean(r.stdout, options.as), stderr: clean(r.stderr, options.as), ms: Date.now() - t0 };
    runs.push(run);
    const failed = r.timedOut || (options.mode === 'strict' && r.code !== 0);
    if (failed) {
      // The mark's line counts the one-line preamble; the script's own lines start after it.
      const line = mark ? Number(mark[1]) - 1 : undefined;
      const command = line !== undefined ? script.split('\n')[line - 1]?.trim() : undefined;
      const failure: RunFailure = { host, code: r.code, timedOut: r.timedOut, stderrTail: tail(run.stderr), outputTail: tail(`${run.stdout}\n${run.stderr}`) };
      if (line !== undefined && line >= 1) failure.line = line;
      if (command) failure.command = command;
      return { ok: false, runs, failure };
    }
  }
  return { ok: runs.every((r) => r.code === 0), runs };
}

/** The command, stdin and environment that run `script` as asked. */
function wrap(script: string, options: RunOptions): { command: string; stdin?: string; env?: Record<string, string> } {
  const strict = options.mode === 'strict' ? `set -eE -o pipefail; trap 'echo "${failedMark}$LINENO" >&2' ERR` : ':';
  if (options.as === 'script') return { command: `${strict}\n${script}` };
  // The preamble starts with a space: with ignorespace the shell keeps it out of the history, so
  // only the block's own commands are recorded. PS1/PS2 emptied: no prompts in the output.
  return {
    command: 'exec bash --noediting -i', // no readline: nothing echoed
    stdin: ` PS1= PS2=; ${strict}\n${script}\n`,
    env: { HISTCONTROL: 'ignorespace' },
  };
}

/** Interactive bash's noise removed: job-control warnings, prompts, OSC 133 marks, `exit` at EOF, our mark. */
/* eslint-disable no-control-regex -- terminal control bytes are what is being removed */
export function clean(text: string, as: RunOptions['as']): string {
  const t = text.replace(new RegExp(`${failedMark}\\d+\\n?`, 'g'), '');
  if (as === 'script') return t;
  return t
    .replace(/\x1b\][^\x07]*\x07/g, '') // OSC 133 marks
    .replace(/[\x01\x02]/g, '') // the invisible-text brackets of PS0
    .replace(/^bash: cannot set terminal process group.*\n/m, '')
    .replace(/^bash: no job control in this shell\n/m, '')
    .replace(/^\x1b\[1;32m\S*\x1b\[0m:\x1b\[1;34m.*?\x1b\[0m[#$] /m, '') // bashrc's PS1, before the preamble empties it
    .replace(/^exit\n?$/m, '');
}
/* eslint-enable no-control-regex */

function tail(s: string, lines = 12): string {
  return s.trim().split('\n').slice(-lines).join('\n');
}

/** A failure in words for a log or a learner: which host, which line, what bash said. */
export function describeFailure(f: RunFailure): { zh: string; en: string } {
  const where = f.line ? `第 ${f.line} 行${f.command ? `（${f.command}）` : ''}` : '';
  const whereEn = f.line ? ` at line ${f.line}${f.command ? ` (${f.command})` : ''}` : '';
  if (f.timedOut) return { zh: `${f.host} 上的命令超时${where}`, en: `the commands on ${f.host} timed out${whereEn}` };
  return {
    zh: `${f.host} 上的命令${where}失败，退出码 ${f.code}：${f.stderrTail.split('\n').slice(-3).join(' ')}`,
    en: `the commands on ${f.host} failed${whereEn} with exit code ${f.code}: ${f.stderrTail.split('\n').slice(-3).join(' ')}`,
  };
}
