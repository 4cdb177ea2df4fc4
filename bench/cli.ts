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
  try {
    for (const [name, load] of Object.entries(optional)) {
      const mod = await load().catch(() => null);
      if (!mod) continue;
      say(`== ${name}`);
      await mod.bench(lab, say);
    }
  } finally {
    await lab.down();
  }
  return 0;
}

/** Benchmarks of the other parts, each `bench(lab, say)`. */
const optional: Record<string, () => Promise<{ bench(lab: Lab, say: (l: string) => void): Promise<void> }>> =
  {
    checks: () => import('./checks.ts'),
    web: () => import('./web.ts'),
    topology: () => import('./topology.ts'),
  };
