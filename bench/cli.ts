/**
 * `npm run bench`: every target of the project measured side by side in one run, printed as
 * figures and ratios. Timings live here, never in tests: these machines are noisy.
 * `dockerlab bench --json` prints the same run's figures as one JSON object on stdout (the lines
 * for a person then go to stderr): see figures.ts.
 */
import os from 'node:os';
import { say as sayLine } from '../engine/log.ts';
import type { Lab } from '../engine/sandbox/api.ts';
import { labsPer24GiB, report, targetTable, type Figures } from './figures.ts';
import { lastVerifyAll } from './records.ts';
import { benchSandbox } from './sandbox.ts';

const usage = `用法 / usage: dockerlab bench [--json]
  --json   最后在标准输出打印一个 JSON 对象（各项数字），过程写到标准错误
           / print one JSON object of the figures on stdout (the progress goes to stderr)`;

export async function main(args: string[] = []): Promise<number> {
  const unknown = args.filter((a) => a !== '--json');
  if (unknown.length > 0) {
    sayLine(`不认识的参数 / unknown argument: ${unknown.join(' ')}\n${usage}`);
    return 2;
  }
  const json = args.includes('--json');
  const say = json ? (line: string) => void process.stderr.write(line + '\n') : sayLine;
  const figures: Figures = {};
  const failed: string[] = [];
  say('== 沙箱 / sandbox');
  let lab: Lab | null = null;
  try {
    lab = await benchSandbox(say, figures);
  } catch (e) {
    failed.push('sandbox');
    say(`✗ sandbox 没有测完 / did not finish: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    // One part failing costs its own figures only: the others still run, and the run says so.
    for (const [name, load] of Object.entries(parts)) {
      say(`== ${name}`);
      if (!lab) {
        failed.push(name);
        say(`✗ ${name}: 没有实验机器 / no lab (the sandbox part failed)`);
        continue;
      }
      try {
        Object.assign(figures, await (await load()).bench(lab, say));
      } catch (e) {
        failed.push(name);
        say(`✗ ${name} 没有测完 / did not finish: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  } finally {
    await lab?.down();
  }
  if (figures.idleLabPssMiB !== undefined && figures.idleLabCpuPct !== undefined)
    figures.labsPer24GiB = labsPer24GiB(
      figures.idleLabPssMiB,
      figures.idleLabCpuPct,
      os.cpus().length,
      figures.ksmdCpuPct ?? 0,
    );
  const verify = lastVerifyAll();
  if (verify) {
    figures.verifyAllMin = verify.minutes;
    say(
      `课程验证 / verify --all (last recorded run, ${verify.at}, ${verify.jobs} jobs): ${verify.minutes.toFixed(1)} min`,
    );
  }
  say('== 目标 / targets (issue 12)');
  say(targetTable(figures));
  if (failed.length > 0) say(`✗ 未完成 / unfinished: ${failed.join(', ')}`);
  if (json) process.stdout.write(JSON.stringify(report(figures, failed)) + '\n');
  endSoon();
  return failed.length > 0 ? 1 : 0;
}

/** Benchmarks of the other parts, each `bench(lab, say)`, giving the figures it measured. */
const parts: Record<string, () => Promise<{ bench(lab: Lab, say: (l: string) => void): Promise<Figures> }>> =
  {
    checks: () => import('./checks.ts'),
    web: () => import('./web.ts'),
    topology: () => import('./topology.ts'),
    page: () => import('./page.ts'),
  };

/**
 * The bench ends when its work is done: if something it started is still holding the process
 * 10 s after the last figure (a bug: it has happened twice, a screen worker and a pty), it says
 * what that is and ends anyway, which also hangs up any pty it left open.
 */
function endSoon(): void {
  setTimeout(() => {
    const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
    const names = handles
      .map((h) => h.constructor.name)
      .filter((n) => !['WriteStream', 'Socket'].includes(n));
    process.stderr.write(
      `✗ bench: still held after its work was done by ${names.join(', ') || 'nothing named'}; ending\n`,
    );
    process.exit(process.exitCode ?? 1);
  }, 10_000).unref();
}
