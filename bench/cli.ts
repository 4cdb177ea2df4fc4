/**
 * `npm run bench`: every target of the project measured side by side in one run, printed as
 * figures and ratios. Timings live here, never in tests: these machines are noisy.
 */
import { say } from '../engine/log.ts';
import type { Lab } from '../engine/sandbox/api.ts';
import { benchSandbox } from './sandbox.ts';

export async function main(): Promise<number> {
  say('== 沙箱 / sandbox');
  const lab = await benchSandbox(say);
  const failed: string[] = [];
  try {
    // One part failing costs its own figures only: the others still run, and the run says so.
    for (const [name, load] of Object.entries(parts)) {
      say(`== ${name}`);
      try {
        await (await load()).bench(lab, say);
      } catch (e) {
        failed.push(name);
        say(`✗ ${name} 没有测完 / did not finish: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  } finally {
    await lab.down();
  }
  if (failed.length > 0) say(`✗ 未完成 / unfinished: ${failed.join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

/** Benchmarks of the other parts, each `bench(lab, say)`. */
const parts: Record<string, () => Promise<{ bench(lab: Lab, say: (l: string) => void): Promise<void> }>> = {
  checks: () => import('./checks.ts'),
  web: () => import('./web.ts'),
  topology: () => import('./topology.ts'),
};
