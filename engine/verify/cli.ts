/**
 * `dockerlab verify [lesson ...] [--step N] [--solution [hostN=]FILE ...] [--json] [--keep] [--jobs N]`:
 * proves lessons in fresh sandboxes, one lab at a time (the machine has two cores).
 * A lesson is named by its number (15), its id (15-netns-veth) or its file.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { logger, say } from '../log.ts';
import { loadLesson, lessonFiles } from '../lessons/load.ts';
import { checkCatalog } from '../lessons/catalog.ts';
import { conditionProblems } from '../lessons/lint.ts';
import { LessonError } from '../lessons/problem.ts';
import type { Lesson } from '../lessons/types.ts';
import { Lexer, type Tokens } from 'marked';
import { fenceRole } from '../lessons/parse.ts';
import { formatStep, formatVerdict } from './report.ts';
import { stepStarts, verifyLesson, type LessonVerdict, type VerifyDeps } from './verify.ts';
import { caseKey } from './records.ts';
import { recordVerifyAll } from '../../bench/records.ts';
import { longestFirst, recordTimes, recordVerdict } from './order.ts';
import { labPool, type LabPool } from './pool.ts';

const log = logger('verify');

const usage = `用法 / usage: dockerlab verify [课程 lesson ...] [options]
  --all 或不写课程：验证全部 / --all or no lesson: verify them all
  --step N          只验证第 N 步：从上次保存的这一步起点开始（前面的步骤没改过时），否则运行前面步骤的答案；
                    结束后把实验环境连同每一步起点的检查点保存起来，下次直接用
                    / verify step N only, starting from its saved checkpoint when the steps before it are
                    unchanged (else replaying their solutions); the lab is then saved for the next run
  --no-cases        不运行 wrong/ok 块，只证明参考答案 / leave out the wrong/ok blocks: prove the solutions only
  --plan            不启动实验环境，只列出每课有多少个 wrong/ok 块有记下的状态、多少个要在实验环境里运行
                    / start no lab: list per lesson how many wrong/ok blocks have a recorded state
                    and how many would run in the lab
  --rerun-cases     每个 wrong/ok 块都在实验环境里重新运行，不用上次记下的状态（并重新记下）
                    / run every wrong/ok block in the lab again instead of judging the state it left
                    last time (engine/verify/records.ts), and record it again
  --fresh           和 --step 一起：不用保存的检查点，从头开始 / with --step: ignore the saved checkpoints
  --solution FILE   用这个脚本代替第 N 步的参考答案 / run FILE instead of step N's reference solution;
                    host2=FILE 在 host2 上运行，可以写多次 / host2=FILE runs it on host2, give it once per host;
                    文件里若有 \`\`\`solution host2 块，按块分主机 / a FILE of \`\`\`solution [host] blocks targets each host
  --host hostN      不带 hostN= 的 --solution 在哪台主机上运行（默认 host1）/ where a bare FILE runs (default host1)
  --json            输出 JSON / print the verdicts as JSON
  --keep            结束后保留实验环境 / leave the lab running
  --retries N       失败的课程换新机器重跑 N 次（会打印出来）/ rerun a failed lesson up to N times, printed
  --jobs N          同时验证 N 课，每课一个实验环境（默认 DOCKERLAB_VERIFY_JOBS 或 1）
                    / verify N lessons at once, a lab each (default DOCKERLAB_VERIFY_JOBS or 1)`;

/**
 * `--solution` arguments as scripts per host, in the order given: `FILE` (on `host`), `host2=FILE`,
 * or a FILE of \`\`\`solution [host] blocks, as in a lesson (several blocks for one host are joined).
 */
export async function readSolutions(args: string[], host: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const add = (h: string, script: string) => {
    if (!/^host\d+$/.test(h))
      throw new Error(
        `--solution: "${h}" is not a host name; write host1=FILE, host2=FILE, … / 主机名应为 host1、host2…`,
      );
    out[h] = out[h] ? `${out[h]}\n${script}` : script;
  };
  for (const arg of args) {
    const m = /^(host\d+)=(.+)$/.exec(arg);
    const file = m ? m[2]! : arg;
    const text = await readFile(file, 'utf8').catch((e: Error) => {
      throw new Error(`--solution: cannot read ${file}: ${e.message}`);
    });
    const blocks = new Lexer()
      .lex(text)
      .map((t) => ({ role: fenceRole(t), text: (t as Tokens.Code).text }))
      .filter((b) => b.role?.role === 'solution');
    if (blocks.length > 0 && !m) for (const b of blocks) add(b.role!.host ?? 'host1', b.text);
    else add(m ? m[1]! : host, text);
  }
  return out;
}

export async function resolveLessons(names: string[], dir = 'lessons'): Promise<Lesson[]> {
  const files = await lessonFiles(dir);
  const catalog = await checkCatalog();
  // A bad condition is refused here, with its file:line, before any VM is started.
  const load = async (file: string): Promise<Lesson> => {
    const lesson = await loadLesson(file);
    const bad = conditionProblems(lesson, catalog);
    if (bad.length > 0) throw new LessonError(bad);
    return lesson;
  };
  if (names.length === 0) return Promise.all(files.map(load));
  return Promise.all(
    names.map((n) => {
      if (n.endsWith('.md')) return load(n);
      const file = files.find((f) => {
        const stem = f.split('/').pop()!.replace(/\.md$/, '');
        return stem === n || (/^\d+$/.test(n) && parseInt(stem, 10) === parseInt(n, 10));
      });
      if (!file) throw new Error(`no lesson "${n}" in ${dir}/: give its number, its id or its file`);
      return load(file);
    }),
  );
}

/** How long to wait for a free VM when others' labs fill the machine (DOCKERLAB_MAX_VMS). */
const capacityWaitMs = 15 * 60_000;
const capacityPollMs = 10_000;

export async function defaultDeps(): Promise<VerifyDeps> {
  const { startLab, LabCapacityError } = await import('../sandbox/lab.ts');
  const { readSaved } = await import('../sandbox/saved.ts');
  const { evaluateConditions } = await import('../checks/evaluate.ts');
  const { inspectLab } = await import('../inspect/inspect.ts');
  const { environmentKey, fileRecords } = await import('./records.ts');
  return {
    records: { store: fileRecords(), environment: await environmentKey() },
    // Labs of the server or of other test runs may hold every VM for a while: wait rather than fail.
    startLab: async (o) => {
      const deadline = Date.now() + capacityWaitMs;
      for (;;) {
        try {
          return await startLab(o);
        } catch (e) {
          if (!(e instanceof LabCapacityError) || Date.now() > deadline) throw e;
          log.info('waiting for a free VM', { lesson: o.label, error: e.message });
          await new Promise((r) => setTimeout(r, capacityPollMs));
        }
      }
    },
    evaluate: (c, lab, baseline) => evaluateConditions(c, lab, { baseline }),
    snapshot: (lab) => inspectLab(lab),
    saved: (key) => {
      try {
        return readSaved(key).note;
      } catch {
        return null; // none, or made from a VM image rebuilt since
      }
    },
  };
}

/** `--plan`: per lesson, how many near-miss cases have a recorded state for today's key. */
function plan(lessons: Lesson[], deps: VerifyDeps): number {
  const { store, environment } = deps.records!;
  let live = 0;
  let all = 0;
  for (const lesson of lessons) {
    const starts = stepStarts(lesson);
    const cases = lesson.steps.flatMap((s) => s.cases.map((c) => caseKey(environment, starts[s.index]!, c)));
    const missing = cases.filter((k) => !store.get(k)).length;
    live += missing;
    all += cases.length;
    say(`${lesson.id}: ${cases.length - missing} recorded, ${missing} to run in the lab`);
  }
  say(
    `${all} near-miss cases: ${all - live} recorded, ${live} to run in the lab (environment ${environment.slice(0, 12)})`,
  );
  return 0;
}

export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        step: { type: 'string' },
        solution: { type: 'string', multiple: true },
        host: { type: 'string', default: 'host1' },
        json: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        fresh: { type: 'boolean', default: false },
        'no-cases': { type: 'boolean', default: false },
        'rerun-cases': { type: 'boolean', default: false },
        plan: { type: 'boolean', default: false },
        all: { type: 'boolean', default: false },
        retries: { type: 'string', default: '0' },
        jobs: { type: 'string', default: process.env.DOCKERLAB_VERIFY_JOBS ?? '1' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    say(`${(e as Error).message}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    say(usage);
    return 0;
  }
  const step = values.step === undefined ? undefined : Number(values.step);
  if (step !== undefined && !(Number.isInteger(step) && step >= 1)) {
    say(`--step 需要一个从 1 开始的步骤编号 / --step needs a step number from 1, got "${values.step}"`);
    return 2;
  }
  if (values.solution && step === undefined) {
    say(
      '--solution 需要和 --step N 一起使用 / --solution needs --step N (the step whose solution it replaces)',
    );
    return 2;
  }
  if (values.all && positionals.length > 0) {
    say('--all 和课程名不能同时使用 / give either --all or lesson names, not both');
    return 2;
  }
  const lessons = await resolveLessons(positionals);
  let solution: Record<string, string> | undefined;
  try {
    solution = values.solution ? await readSolutions(values.solution, values.host) : undefined;
  } catch (e) {
    say((e as Error).message);
    return 2;
  }
  if (values.fresh && step !== undefined) {
    const { forgetSaved } = await import('../sandbox/saved.ts');
    for (const lesson of lessons) forgetSaved(`verify-${lesson.id}`);
  }
  const retries = Number(values.retries);
  const jobs = Number(values.jobs);
  if (!(Number.isInteger(jobs) && jobs >= 1 && jobs <= 8)) {
    say(`--jobs 需要 1 到 8 之间的整数 / --jobs needs a whole number from 1 to 8, got "${values.jobs}"`);
    return 2;
  }
  if (jobs > 1 && (values.keep || step !== undefined)) {
    say('--jobs 只用于验证整课 / --jobs is for whole lessons, not with --step or --keep');
    return 2;
  }
  const deps = await defaultDeps();
  if (values.plan) return plan(lessons, deps);
  const started = Date.now();
  /**
   * One lesson, start to verdict. With several jobs a lesson's lines are held back and printed
   * together when it ends, so two lessons' lines never interleave.
   */
  const verifyOne = async (lesson: Lesson, pool?: LabPool): Promise<LessonVerdict> => {
    const held: string[] = [];
    const out = jobs > 1 ? (line: string) => void held.push(line) : say;
    if (!values.json)
      out(
        `▶ ${lesson.id}  ${lesson.title}  (${lesson.hosts} host${lesson.hosts > 1 ? 's' : ''}, ${lesson.steps.length} steps)`,
      );
    const options = {
      step,
      solution,
      keep: values.keep,
      reuse: step !== undefined,
      cases: !values['no-cases'],
      replay: !values['rerun-cases'],
      onStep: values.json
        ? undefined
        : (v: Parameters<typeof formatStep>[0]) => out(formatStep(v, lesson.file)),
    };
    let verdict = await verifyLesson(lesson, options, pool?.deps ?? deps);
    // A VM under TCG on a loaded machine can miss a timeout: --retries gives a failed lesson a
    // fresh lab and another full run. Every retry is printed, never hidden.
    for (let attempt = 1; !verdict.ok && attempt <= retries; attempt++) {
      if (!values.json) {
        out(formatVerdict(verdict, values.keep));
        out(
          `↻ ${lesson.id}: 重试 ${attempt}/${retries}，换一台新机器 / retry ${attempt}/${retries} in a fresh lab`,
        );
      }
      verdict = { ...(await verifyLesson(lesson, options, deps)), retried: attempt };
    }
    recordVerdict(verdict);
    if (!values.json) out(formatVerdict(verdict, values.keep));
    if (held.length > 0) say(held.join('\n'));
    return verdict;
  };
  // A pool of `jobs` labs: under TCG one lab leaves part of the second core idle (waits on I/O,
  // dockerd, sleeps in lesson scripts), so two labs side by side finish the course sooner.
  // Longest first (engine/verify/order.ts); the verdicts keep the course's order.
  const cases = !values['no-cases'];
  const order = jobs > 1 ? longestFirst(lessons, cases) : lessons.map((_, i) => i);
  const verdicts: LessonVerdict[] = new Array<LessonVerdict>(lessons.length);
  let next = 0;
  let reused = 0;
  await Promise.all(
    Array.from({ length: Math.min(jobs, lessons.length) }, async () => {
      // Each worker keeps its labs between lessons (engine/verify/pool.ts); retries take new ones.
      const pool = step === undefined && !values.keep && lessons.length > 1 ? labPool(deps) : undefined;
      try {
        while (next < order.length) {
          const i = order[next++]!;
          verdicts[i] = await verifyOne(lessons[i]!, pool);
        }
      } finally {
        reused += pool?.reused() ?? 0;
        await pool?.close();
      }
    }),
  );
  if (step === undefined)
    recordTimes(
      verdicts
        .filter((v) => v.ok)
        .map((v) => ({ lesson: lessons.find((l) => l.id === v.id)!, ms: v.totalMs })),
      cases,
    );
  // The whole course proven: how long it took is a figure of `dockerlab bench --json` (bench/records.ts).
  if (positionals.length === 0 && step === undefined)
    recordVerifyAll({
      at: new Date().toISOString(),
      minutes: (Date.now() - started) / 60_000,
      lessons: verdicts.length,
      passed: verdicts.filter((v) => v.ok).length,
      jobs,
      cases,
    });
  if (values.json) say(JSON.stringify(verdicts, null, 2));
  else if (verdicts.length > 1) {
    const bad = verdicts.filter((v) => !v.ok);
    const all = verdicts.flatMap((v) => v.steps.flatMap((s) => s.cases));
    const recorded = all.filter((c) => c.recorded).length;
    say(
      `\n${verdicts.length - bad.length} passed, ${bad.length} failed` +
        (bad.length ? `: ${bad.map((v) => v.id).join(', ')}` : '') +
        ` in ${((Date.now() - started) / 60_000).toFixed(1)} min (${jobs} job${jobs > 1 ? 's' : ''}` +
        `, ${reused} lab${reused === 1 ? '' : 's'} restored to a fresh checkpoint instead of started)` +
        (all.length
          ? `\n${all.length} near-miss cases: ${all.length - recorded} run in the lab, ${recorded} judged by the current checks on the states they left in an earlier run (same lesson, image, machine and engine; --rerun-cases runs them all)`
          : ''),
    );
  }
  return verdicts.every((v) => v.ok) ? 0 : 1;
}
