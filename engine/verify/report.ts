/** How `dockerlab verify` prints its verdicts for a person: one line per step, details on failure. */
import type { StepResult } from '../checks/types.ts';
import type { LessonVerdict, StepVerdict } from './verify.ts';

const problemText = {
  'passes-before':
    '课程错误：参考答案运行之前检查就已通过 / lesson bug: the check passes before the solution runs',
  'solution-failed': '参考答案执行失败 / the solution failed',
  'fails-after': '运行参考答案之后检查仍未通过 / the check still fails after the solution',
} as const;

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function formatStep(v: StepVerdict): string {
  const head = `  ${v.ok ? '✓' : '✗'} step ${v.number}: ${v.title}  (${secs(v.ms)})`;
  if (v.ok) return head;
  const lines = [head, `      ${problemText[v.problem ?? 'fails-after']}`];
  if (v.solution)
    lines.push(`      ${v.solution.host} exit ${v.solution.code}:`, ...indent(v.solution.output, 8));
  const shown = v.problem === 'passes-before' ? v.before : v.after;
  if (shown) lines.push(...conditions(shown, v.problem === 'passes-before'));
  return lines.join('\n');
}

/** The conditions that explain the failure: the failing ones, or for passes-before the passing ones. */
function conditions(r: StepResult, passing: boolean): string[] {
  return r.conditions
    .filter((c) => c.ok === passing)
    .flatMap((c) => [
      `      condition ${c.kind} ${JSON.stringify(c.params)}: ${c.ok ? 'passes' : 'fails'}`,
      ...c.messages.map((m) => `        ${m.zh} / ${m.en}`),
    ]);
}

function indent(s: string, n: number): string[] {
  return s.split('\n').map((l) => ' '.repeat(n) + l);
}

export function formatVerdict(v: LessonVerdict, kept: boolean): string {
  const time = `${secs(v.totalMs)} (boot ${secs(v.bootMs)}, setup ${secs(v.setupMs)})`;
  const retried = v.retried ? ` after ${v.retried} retr${v.retried > 1 ? 'ies' : 'y'}` : '';
  const lines = [`${v.ok ? '✓' : '✗'} ${v.id}: ${v.ok ? 'proven' : 'FAILED'}${retried} in ${time}`];
  if (v.error) lines.push(`  error: ${v.error}`);
  if (kept && v.labId)
    lines.push(`  lab kept: ${v.labId} (dockerlab sandbox shell ${v.labId}; sandbox down ${v.labId})`);
  return lines.join('\n');
}
