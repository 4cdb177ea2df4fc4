import { z } from 'zod';
import { defineKind, fail, ok } from '../kind.ts';
import { t } from '../render.ts';
import type { Report } from '../types.ts';

const schema = z.strictObject({
  script: z
    .string()
    .min(1)
    .describe('Bash run as root on the host; the condition holds when it exits with `exitCode`.'),
  exitCode: z.number().int().default(0),
  timeoutMs: z.number().int().positive().max(120_000).default(30_000),
  explain: z
    .strictObject({ zh: z.string(), en: z.string() })
    .optional()
    .describe("What to tell the learner when it fails, instead of the script's output."),
});

export default defineKind(
  {
    id: 'shell',
    description: t(
      '在主机上运行一段 bash 脚本，按退出码判断（最后的手段：能用其他检查时别用它）',
      'run a bash script on the host and judge by its exit status (a last resort: prefer another kind)',
    ),
    schema,
    messages: {
      ok: t('检查脚本通过了', 'the check script passed'),
      // Said as what the check looked for (the command it ran), not as an exit status: a lesson
      // should give an `explain`, and this is what the learner reads when it has none.
      failed: t(
        '这一步用 `{script}` 来检查，它没有成功{output}',
        'this step is checked by running `{script}`, and it did not succeed{output}',
      ),
      failedZero: t(
        '这一步要求 `{script}` 不成功，可它成功了',
        'this step wants `{script}` to fail, but it succeeded',
      ),
      explained: t('{zh}', '{en}'),
      timeout: t(
        '检查脚本运行超过 {ms} 毫秒，被终止了',
        'the check script ran longer than {ms} ms and was stopped',
      ),
    },
    example: 'shell: { script: "docker exec alpha ping -c 1 -W 2 beta" }',
    reads: [],
    probes: ['shell'],
  },
  async (p, ctx) => {
    const r = await ctx.exec(ctx.host, p.script, p.timeoutMs);
    // The raw result goes up with the report, for `dockerlab verify` to show the instructor.
    const output = { code: r.code, stdout: r.stdout.slice(-4000), stderr: r.stderr.slice(-4000) };
    const withOutput = (rep: Report): Report => ({ ...rep, output });
    if (r.timedOut) return [withOutput(fail('timeout', { ms: p.timeoutMs }))];
    if (r.code === p.exitCode) return [withOutput(ok('ok'))];
    if (p.explain) return [withOutput(fail('explained', { zh: p.explain.zh, en: p.explain.en }))];
    const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-3).join(' / ').slice(0, 300);
    // The script as one line, and not a wall of it: what the check ran is what it looked for.
    const line = p.script.replace(/\s+/g, ' ').trim();
    const script = line.length > 120 ? `${line.slice(0, 117)}...` : line;
    if (p.exitCode !== 0 && r.code === 0) return [withOutput(fail('failedZero', { script }))];
    return [withOutput(fail('failed', { script, output: tail ? t(`：${tail}`, `: ${tail}`) : '' }))];
  },
);
