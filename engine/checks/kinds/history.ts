/**
 * What the learner typed, and whether it worked: the lines root's interactive shell recorded with
 * their exit status (guest/bashrc → /root/.dockerlab_commands → HostState.commands). Weak evidence
 * (the UI says so), kept for steps that leave no state behind; a line counts only when the command
 * it names is known to have succeeded.
 */
import { z } from 'zod';
import type { ShellCommand } from '../../inspect/types.ts';
import { defineKind, fail, ok, stateOf } from '../kind.ts';
import { t } from '../render.ts';

const wanted = z.strictObject({
  command: z
    .string()
    .min(1)
    .describe("The command's first words, e.g. `docker logs`; matched word by word, after `sudo`."),
  args: z
    .array(z.string().min(1))
    .optional()
    .describe(
      'Words that must also appear in that command, e.g. `[-f]`. `-f|--follow` accepts either; a short flag also matches inside a bundle (`-tf`), a long one as `--opt=value`, a word as `--opt=word`; `VAR=` matches an assignment before the command; `*` is a wildcard within one word.',
    ),
});
const schema = wanted.extend({
  status: z
    .array(z.number().int().min(0).max(255))
    .min(1)
    .default([0])
    .describe(
      'Exit statuses that count as success; `[0, 130]` for a command the learner is meant to stop with Ctrl-C (`docker logs -f`).',
    ),
  or: z
    .array(wanted)
    .optional()
    .describe('Other commands that prove the same thing, e.g. `[{ command: nc, args: [-U] }]` beside curl.'),
});
type Wanted = z.infer<typeof wanted>;

/** A top-level piece of a command line and the operator that follows it. */
interface Piece {
  text: string;
  op: '' | '|' | '&&' | '||' | ';' | '&';
}

/** Splits a line at the shell's list and pipe operators outside quotes; not a full shell parser. */
export function pieces(line: string): Piece[] {
  const out: Piece[] = [];
  let cur = '';
  let quote = '';
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') cur += c + (line[++i] ?? '');
      else {
        if (c === quote) quote = '';
        cur += c;
      }
      continue;
    }
    if (c === '\\') {
      cur += c + (line[++i] ?? '');
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      cur += c;
      continue;
    }
    // Inside `$( ... )` the operators belong to the substituted command, not to this line.
    if (c === '$' && line[i + 1] === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    if (depth > 0) {
      cur += c;
      continue;
    }
    const two = line.slice(i, i + 2);
    const op = two === '&&' || two === '||' ? two : c === '|' || c === ';' || c === '&' ? c : '';
    // `2>&1`, `&>`, `>&2` are redirections, not operators.
    if (op === '&' && (line[i - 1] === '>' || line[i + 1] === '>')) {
      cur += c;
      continue;
    }
    if (op) {
      out.push({ text: cur, op });
      cur = '';
      i += op.length - 1;
      continue;
    }
    cur += c;
  }
  out.push({ text: cur, op: '' });
  return out;
}

/** Commands that run the rest of the line: `sudo`, `time`, `nohup`, `env`, `timeout [opts] DURATION`. */
const wrappers = new Set(['sudo', 'time', 'nohup', 'env', 'timeout', 'command', 'exec']);

/**
 * One simple command: leading `VAR=value` assignments apart, quotes removed, wrappers dropped
 * (`timeout -s INT 3 docker logs -f x` is `docker logs -f x`).
 */
function parse(text: string): { assigns: string[]; words: string[] } {
  const w = (text.match(/'[^']*'|"(?:\\.|[^"\\])*"|\S+/g) ?? []).map((x) =>
    x.replace(/^(['"])(.*)\1$/, '$2'),
  );
  const assigns: string[] = [];
  for (;;) {
    const first = w[0];
    if (first === undefined) break;
    if (/^[A-Za-z_]\w*=/.test(first)) assigns.push(w.shift()!);
    else if (wrappers.has(first)) {
      w.shift();
      // The wrapper's own options, and timeout's duration.
      while (w[0]?.startsWith('-')) {
        const opt = w.shift()!;
        if (/^-(s|k|u|g|-signal|-kill-after|-user)$/.test(opt)) w.shift();
      }
      if (first === 'timeout' && /^\d/.test(w[0] ?? '')) w.shift();
    } else break;
  }
  return { assigns, words: w };
}

/**
 * Whether the command carries the argument wanted: alternatives `a|b`; a short flag also inside
 * a bundle (`-f` in `-tf`); `--opt` also as `--opt=value`; a plain word also as `--opt=word`; and
 * `VAR=` an assignment before the command (`DOCKER_HOST=tcp://... docker ps`).
 */
function hasArg(cmd: { assigns: string[]; words: string[] }, arg: string): boolean {
  return arg.split('|').some((a) => {
    if (/^[A-Za-z_]\w*=$/.test(a)) return cmd.assigns.some((x) => x.startsWith(a));
    if (a.includes('*')) {
      const re = new RegExp(
        `^${a
          .split('*')
          .map((x) => x.replace(/[.+?^${}()[\]\\|]/g, '\\$&'))
          .join('.*')}$`,
      );
      return cmd.words.some((w) => re.test(w));
    }
    return cmd.words.some((w) => {
      if (w === a || (a.startsWith('-') && w.startsWith(a + '='))) return true;
      if (!a.startsWith('-') && /^--?[\w-]+=/.test(w) && w.endsWith('=' + a)) return true;
      // `-f` inside `-tf`: single-dash words of letters are bundles of short flags.
      return /^-[a-zA-Z]$/.test(a) && /^-[a-zA-Z]{2,}$/.test(w) && w.includes(a[1]!);
    });
  });
}

function matches(text: string, want: Wanted): boolean {
  const { assigns, words } = parse(text);
  const cmd = want.command.split(/\s+/);
  const rest = { assigns, words: words.slice(cmd.length) };
  return cmd.every((x, i) => words[i] === x) && (want.args ?? []).every((a) => hasArg(rest, a));
}

export type Verdict =
  | { ok: true; line: ShellCommand }
  | { ok: false; why: 'failed' | 'unknown'; line: ShellCommand; code: number }
  | { ok: false; why: 'missing' };

/**
 * Whether the line as a whole succeeded. Without `pipefail` (the learner's shell) that is `$?`;
 * with it (a strict script typed through the shell) `$?` is 141 when an early pipe part got
 * SIGPIPE, so the last pipeline's statuses decide: its last part fine, the others fine or 141.
 */
function lineOk(line: ShellCommand, okStatus: number[]): boolean {
  if (okStatus.includes(line.status)) return true;
  const last = line.pipe.at(-1);
  return (
    line.pipe.length > 1 &&
    last !== undefined &&
    okStatus.includes(last) &&
    line.pipe.slice(0, -1).every((c) => okStatus.includes(c) || c === 141)
  );
}

/**
 * The newest recorded line that ran one of the wanted commands successfully; else what the newest
 * matching line shows (it failed, or its outcome cannot be known from the line's status).
 * A line's status is its last pipeline's: only pieces after the last `;`, `||` or `&` are judged,
 * each `&&` part before the last succeeded if the line did, and within the last pipeline each
 * part's own status is known (141, SIGPIPE, is fine before the last part: `docker logs x | head`).
 */
export function judge(lines: ShellCommand[], alternatives: Wanted[], okStatus: number[] = [0]): Verdict {
  let first: Verdict | undefined;
  for (const line of [...lines].reverse()) {
    const ps = pieces(line.cmd);
    const lastList = ps.reduce((at, p, i) => (p.op === ';' || p.op === '||' || p.op === '&' ? i + 1 : at), 0);
    let lastPipe = ps.length - 1;
    while (lastPipe > 0 && ps[lastPipe - 1]!.op === '|') lastPipe--;
    const whole = lineOk(line, okStatus);
    for (const [i, p] of ps.entries()) {
      if (!alternatives.some((a) => matches(p.text, a))) continue;
      let verdict: Verdict;
      if (i < lastList || (i < lastPipe && p.op === '|'))
        verdict = { ok: false, why: 'unknown', line, code: line.status };
      else {
        // In the last pipeline the part's own status is known; an `&&` part before it ran fine if the line did.
        const code = i >= lastPipe ? (line.pipe[i - lastPipe] ?? line.status) : 0;
        const fine = okStatus.includes(code) || (code === 141 && i < ps.length - 1);
        verdict =
          whole && fine ? { ok: true, line } : { ok: false, why: 'failed', line, code: code || line.status };
      }
      if (verdict.ok) return verdict;
      first ??= verdict;
    }
  }
  return first ?? { ok: false, why: 'missing' };
}

export default defineKind(
  {
    id: 'history',
    description: t(
      '学员在终端里成功运行过某条命令（按 shell 记下的退出码判断；这是弱证据，只用于没有状态可查的步骤）',
      'the learner ran a command in the terminal and it succeeded (by the exit status the shell recorded; weak evidence, only for steps that leave no state)',
    ),
    schema,
    messages: {
      ok: t('你运行过：{line}', 'you ran: {line}'),
      missing: t('还没有看到你运行 `{command}`{args}', 'you have not run `{command}`{args} yet'),
      failed: t(
        '你运行了 `{line}`，但它失败了（退出码 {code}）：看看它的报错，改好再运行一次',
        '`{line}` ran but failed (exit status {code}): read its error, fix it and run it again',
      ),
      unknown: t(
        '你运行了 `{line}`，但从这一行看不出 `{command}` 是否成功（它后面还跟着 `;`、`||` 或 `|`）：把它单独运行一次',
        '`{line}` ran, but the line does not tell whether `{command}` succeeded (a ;, || or | follows it): run it on its own',
      ),
      noRecord: t(
        '这台主机的终端还没有记录任何命令（/root/.dockerlab_commands 不存在）',
        "this host's terminal has recorded no command yet (/root/.dockerlab_commands does not exist)",
      ),
    },
    example: 'history: { command: docker logs, args: [-f|--follow] }',
    reads: ['commands'],
    weak: true,
  },
  (p, ctx) => {
    const lines = stateOf(ctx).commands;
    if (!lines) return [fail('noRecord')];
    const v = judge(lines, [{ command: p.command, args: p.args }, ...(p.or ?? [])], p.status);
    if (v.ok) return [ok('ok', { line: v.line.cmd })];
    if (v.why !== 'missing') return [fail(v.why, { line: v.line.cmd, code: v.code, command: p.command })];
    const args = p.args?.length ? t(`（带上 ${p.args.join(' ')}）`, ` with ${p.args.join(' ')}`) : '';
    return [fail('missing', { command: p.command, args })];
  },
);
