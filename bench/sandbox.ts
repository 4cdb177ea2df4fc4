/**
 * Sandbox figures, side by side in one run: cold boot vs snapshot resume vs a saved lab's resume,
 * exec round trips, `docker run`, idle labs (idle.ts), and the image build time recorded when it was
 * built.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from '../engine/sandbox/api.ts';
import { imagePaths } from '../engine/sandbox/image.ts';
import { labDir, readLab, startLab } from '../engine/sandbox/lab.ts';
import { savedLabDir } from '../engine/sandbox/saved.ts';
import type { Figures } from './figures.ts';
import { benchIdleLabs } from './idle.ts';
import { shellOpen } from './shell.ts';
import { ms, percentile, timeIt } from './stats.ts';

/** Starts the bench's lab and measures the sandbox on it; `figures` gets what was measured. */
export async function benchSandbox(say: (line: string) => void, figures: Figures): Promise<Lab> {
  // Three new labs in a row, the last one kept for the rest: the first start after a quiet spell
  // can read the snapshot from disk (this host pages out file pages unused for ~6 s), so one start
  // alone said more about the host's page cache than about a lab's start.
  const starts: number[] = [];
  const timedStart = async (): Promise<Lab> => {
    const t0 = performance.now();
    const lab = await startLab({ label: 'bench' });
    starts.push(performance.now() - t0);
    return lab;
  };
  for (let i = 0; i < 2; i++) await (await timedStart()).down();
  const warm = await timedStart();
  const resumeMs = percentile(starts, 50);
  const t1 = performance.now();
  const cold = await startLab({ label: 'bench cold', cold: true });
  const coldMs = performance.now() - t1;
  const coldBoot = readLab(labDir(cold.id)).boot;
  await cold.down();
  say(
    `启动到 dockerd 就绪 / start to a ready dockerd: cold boot ${ms(coldMs)}, new lab (${readLab(labDir(warm.id)).boot?.from ?? '?'}) p50 ${ms(resumeMs)} of ${starts.map(ms).join(', ')}, ratio ${(coldMs / resumeMs).toFixed(1)}×`,
  );
  figures.coldStartMs = coldMs;
  figures.labStartMs = resumeMs;
  const coldShell = coldBoot?.shellMs ?? NaN;
  const warmShell = readLab(labDir(warm.id)).boot?.shellMs ?? NaN;
  say(
    `启动到 shell 可用 / start to a usable shell (supervisor's clock): cold ${ms(coldShell)}, new lab ${ms(warmShell)}, ratio ${(coldShell / warmShell).toFixed(1)}×`,
  );

  const host = warm.host('host1');
  await host.exec('true');
  const bare = await timeIt(40, () => host.exec('true'));
  const ipLink = await timeIt(40, () => host.exec('ip -j link'));
  say(
    `exec 往返 / exec round trip \`true\`: p50 ${ms(percentile(bare, 50))}, p95 ${ms(percentile(bare, 95))}`,
  );
  say(
    `exec 往返 / exec round trip \`ip -j link\`: p50 ${ms(percentile(ipLink, 50))}, p95 ${ms(percentile(ipLink, 95))} (${(percentile(ipLink, 50) / percentile(bare, 50)).toFixed(1)}× bare)`,
  );

  const run = await timeIt(3, () => host.exec('docker run --rm busybox true'));
  say(
    `docker run --rm busybox true: p50 ${ms(percentile(run, 50))} (${(percentile(run, 50) / percentile(bare, 50)).toFixed(0)}× a bare exec)`,
  );

  // What the server spawns for a terminal: time to the guest's prompt, and its memory on the host.
  // The guest's spare login shell makes a terminal on a lab at rest cheap; one opened right after
  // another closed waits for the rest of its new spare's start.
  const shells = await shellOpen(host, 5);
  const backToBack = await shellOpen(host, 5, false);
  figures.shellOpenMs = percentile(shells.times, 50);
  figures.shellRssMiB = Math.max(...shells.rssMiB, ...backToBack.rssMiB);
  say(
    `打开终端 / open a shell (${path.basename(shells.program)} in node-pty → guest prompt, 5 runs, the guest's spare shell ready): p50 ${ms(figures.shellOpenMs)}, max ${ms(Math.max(...shells.times))}; ` +
      `right after the last one closed (its spare still starting): p50 ${ms(percentile(backToBack.times, 50))}; RSS on the host ≤ ${figures.shellRssMiB.toFixed(1)} MiB`,
  );

  await benchIdleLabs(say, figures);

  // Lab checkpoints (verify's per-step start state): save; change things and restore, three times.
  // A restore includes setting the guest clock.
  const checkpointTimes = await timeIt(3, () => warm.checkpoint!('bench'));
  const restoreTimes: number[] = [];
  for (let i = 0; i < 3; i++) {
    await host.exec('touch /root/after-checkpoint; ip link add dummy-bench type dummy');
    restoreTimes.push(...(await timeIt(1, () => warm.restore!('bench'))));
  }
  const gone = await host.exec('ls /root/after-checkpoint || ip link show dummy-bench');
  say(
    `检查点 / lab checkpoint (1 VM, RAM + disk): save p50 ${ms(percentile(checkpointTimes, 50))}, restore p50 ${ms(percentile(restoreTimes, 50))} (max ${ms(Math.max(...restoreTimes))})${gone.code === 0 ? ' — BUT the restore left later changes behind' : ''}; one \`docker run\` is ${ms(percentile(run, 50))}`,
  );

  // A learner's lab saved whole while they are away, and resumed: against a snapshot start above.
  const key = `bench-${process.pid}`;
  const t2 = performance.now();
  await warm.suspend!(key, 'bench');
  const saveMs = performance.now() - t2;
  const ramBytes = fs.statSync(path.join(savedLabDir(key), 'host1.ram')).size;
  const t3 = performance.now();
  const resumed = await startLab({ label: 'bench', resume: key });
  const savedMs = performance.now() - t3;
  say(
    `保存整台实验机器 / save a lab whole: ${ms(saveMs)}, ${(ramBytes / 2 ** 20).toFixed(0)} MiB of RAM state; resume to a ready dockerd ${ms(savedMs)} (a new lab: ${ms(resumeMs)})`,
  );

  const ready = path.join(imagePaths().dir, 'READY');
  let built: { buildMs?: number } = {};
  try {
    built = JSON.parse(fs.readFileSync(ready, 'utf8')) as { buildMs?: number };
  } catch {
    // an image built before build times were recorded
  }
  if (built.buildMs) figures.imageBuildS = built.buildMs / 1000;
  say(
    `镜像构建 / image build (recorded when this image was built): ${built.buildMs ? ms(built.buildMs) : 'unknown'}`,
  );
  return resumed;
}
