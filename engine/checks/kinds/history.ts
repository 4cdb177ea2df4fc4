import { z } from 'zod';
import { defineKind, fail, ok } from '../kind.ts';
import { t } from '../render.ts';

const schema = z.strictObject({
  command: z
    .string()
    .min(1)
    .describe("The command's first words, e.g. `docker logs`; matched word by word, after `sudo`."),
  args: z
    .array(z.string())
    .optional()
    .describe('Words that must also appear somewhere on the same command line, e.g. `[-f]`.'),
});

/** Splits a history line into words; good enough for matching, not a shell parser. */
const words = (line: string): string[] =>
  line
    .trim()
    .split(/\s+/)
    .filter((w) => w !== 'sudo');

export function ran(history: string[], command: string, args: string[] = []): string | undefined {
  const want = words(command);
  return [...history].reverse().find((line) => {
    // A line may chain commands: `docker run ... && docker logs -f x`.
    return line.split(/&&|\|\||;|\|/).some((part) => {
      const w = words(part);
      return (
        want.every((x, i) => w[i] === x) && args.every((a) => w.some((y) => y === a || y.startsWith(a + '=')))
      );
    });
  });
}

export default defineKind(
  {
    id: 'history',
    description: t(
      '学员运行过某条命令（从 ~/.bash_history 判断；这是弱证据，只用于没有状态可查的步骤）',
      'the learner ran a command (from ~/.bash_history; weak evidence, only for steps that leave no state)',
    ),
    schema,
    messages: {
      ok: t('你运行过：{line}', 'you ran: {line}'),
      missing: t('还没有看到你运行 `{command}`{args}', 'you have not run `{command}`{args} yet'),
    },
    example: 'history: { command: docker logs, args: [-f] }',
    weak: true,
  },
  async (p, ctx) => {
    const line = ran(await ctx.history(ctx.host), p.command, p.args);
    if (line) return [ok('ok', { line })];
    const args = p.args?.length ? t(`（带上 ${p.args.join(' ')}）`, ` with ${p.args.join(' ')}`) : '';
    return [fail('missing', { command: p.command, args })];
  },
);
