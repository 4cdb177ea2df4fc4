/** How `dockerlab verify` prints its verdicts for a person: one line per step, details on failure. */
import type { StepResult } from '../checks/types.ts';
import type { CaseVerdict, LessonVerdict, StepVerdict } from './verify.ts';

const problemText = {
  'passes-before':
    '课程错误：参考答案运行之前检查就已通过 / lesson bug: the check passes before the solution runs',
  'solution-failed': '参考答案执行失败 / the solution failed',
  'fails-after': '运行参考答案之后检查仍未通过 / the check still fails after the solution',
  'near-miss': '近似答案的判定不对 / a near-miss answer was judged wrongly',
} as const;

const caseText = {
  'wrong-passes': '错误答案却通过了检查 / a wrong answer passed the check',
  'ok-fails': '正确答案却没有通过检查 / a right answer failed the check',
  'ok-failed': '这个 ok 块的命令执行失败 / the ok block’s commands failed',
  'timed-out': '命令超时 / the commands timed out',
} as const;

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function formatStep(v: StepVerdict, file = ''): string {
  const wrong = v.cases.filter((c) => c.role === 'wrong').length;
  const ok = v.cases.length - wrong;
  const recorded = v.cases.filter((c) => c.recorded).length;
  const counts = v.cases.length
    ? `, ${wrong} wrong, ${ok} ok${recorded ? `, ${recorded} judged on recorded states` : ''}`
    : '';
  const head = `  ${v.ok ? '✓' : '✗'} step ${v.number}: ${v.title}  (${secs(v.ms)}${counts})`;
  if (v.ok) return head;
  const lines = [head, `      ${problemText[v.problem ?? 'fails-after']}`];
  if (v.solution) {
    const at = v.solution.line
      ? ` at line ${v.solution.line} of the block (${v.solution.command ?? ''})`
      : '';
    lines.push(`      ${v.solution.host} exit ${v.solution.code}${at}:`, ...indent(v.solution.output, 8));
  }
  const shown = v.problem === 'passes-before' ? v.before : v.problem === 'near-miss' ? null : v.after;
  if (shown) lines.push(...conditions(shown, v.problem === 'passes-before'));
  for (const c of v.cases.filter((c) => !c.ok)) lines.push(...formatCase(c, file));
  return lines.join('\n');
}

/** A near-miss case judged wrongly: where it is, why it was written, what the check said. */
export function formatCase(c: CaseVerdict, file: string): string[] {
  const lines = [
    `      ✗ ${file}:${c.line} \`\`\`${c.role} (${c.why || 'no comment'}): ${caseText[c.problem ?? 'ok-fails']}`,
  ];
  if (c.run) {
    const at = c.run.line ? ` at line ${c.run.line} of the block (${c.run.command ?? ''})` : '';
    lines.push(`        ${c.run.host} exit ${c.run.code}${at}:`, ...indent(c.run.outputTail, 10));
  }
  if (c.result) lines.push(...conditions(c.result, c.problem === 'wrong-passes').map((l) => '  ' + l));
  return lines;
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
  const cases = v.steps.reduce((n, s) => n + s.cases.length, 0);
  const recorded = v.steps.reduce((n, s) => n + s.cases.filter((c) => c.recorded).length, 0);
  const checkpoints = cases
    ? `, ${cases} near-miss cases (${cases - recorded} run in the lab, ${recorded} on recorded states), checkpoints ${secs(v.checkpointMs)}`
    : '';
  const from = v.startedAt ? `, from the saved start of step ${v.startedAt}` : '';
  const time = `${secs(v.totalMs)} (boot ${secs(v.bootMs)}, setup ${secs(v.setupMs)}${checkpoints}${from})`;
  const retried = v.retried ? ` after ${v.retried} retr${v.retried > 1 ? 'ies' : 'y'}` : '';
  const lines = [`${v.ok ? '✓' : '✗'} ${v.id}: ${v.ok ? 'proven' : 'FAILED'}${retried} in ${time}`];
  if (v.error) lines.push(`  error: ${v.error}`);
  if (kept && v.labId)
    lines.push(`  lab kept: ${v.labId} (dockerlab sandbox shell ${v.labId}; sandbox down ${v.labId})`);
  return lines.join('\n');
}
