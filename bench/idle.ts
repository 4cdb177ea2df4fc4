/**
 * Idle labs, as issue 12 asks: six one-host labs started side by side and left alone until the
 * host's KSM has merged what they have in common (all are restored from one snapshot), then their
 * QEMUs' memory (PSS: a merged page counts once, split between its sharers) and CPU over 20 s.
 * ksmd's own CPU is measured beside them: it is the machine's, scanning at a fixed rate however
 * many labs there are, so it comes off the cores before the labs' share is counted.
 */
import fs from 'node:fs';
import type { Lab } from '../engine/sandbox/api.ts';
import { defaults, startLab } from '../engine/sandbox/lab.ts';
import type { Figures } from './figures.ts';
import { cpuSeconds, idleCost, qemuPids } from './shell.ts';

const LABS = 6;
const KSM = '/sys/kernel/mm/ksm';

export async function benchIdleLabs(say: (line: string) => void, figures: Figures): Promise<void> {
  const labs: Lab[] = [];
  // The six come on top of the bench's own lab: the cap on VMs is raised for them, for this part.
  const cap = defaults.maxVms;
  defaults.maxVms = cap + LABS;
  try {
    for (let i = 0; i < LABS; i++) labs.push(await startLab({ label: `bench idle ${i + 1}` }));
    const pids = labs.map((lab) => qemuPids(lab.id)[0]);
    if (pids.some((p) => p === undefined)) throw new Error('a lab has no QEMU process');
    const settle = await settled();
    const ksmd = processByName('ksmd');
    const ksmdBefore = ksmd ? cpuSeconds(ksmd) : 0;
    const t0 = performance.now();
    const idle = await idleCost(pids as number[], 20);
    const ksmdPct = ksmd ? ((cpuSeconds(ksmd) - ksmdBefore) / ((performance.now() - t0) / 1000)) * 100 : 0;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    figures.idleLabPssMiB = mean(idle.pssMiB);
    figures.idleLabCpuPct = mean(idle.cpuPct);
    figures.ksmdCpuPct = ksmdPct;
    say(
      `空闲实验机器 / idle labs (${LABS} one-host labs, ${settle}; then 20 s): PSS per lab ${idle.pssMiB.map((v) => v.toFixed(0)).join(', ')} MiB (mean ${figures.idleLabPssMiB.toFixed(0)}); CPU per lab ${idle.cpuPct.map((v) => v.toFixed(2)).join(', ')} % of a core (mean ${figures.idleLabCpuPct.toFixed(2)}); ksmd ${ksm() ? `${ksmdPct.toFixed(2)} % of a core` : 'off'}`,
    );
  } finally {
    await Promise.all(labs.map((lab) => lab.down()));
    defaults.maxVms = cap;
  }
}

/**
 * Waits until KSM has nothing more to merge: pages_sharing grows by under 1 % over a full scan,
 * judged from the third full scan on (the first may have begun before the labs' memory was there,
 * and a page is merged only in the scan after the one that first saw it unchanged: a run judged
 * after one scan stopped at 25 MiB merged, where waiting gave 2062 MiB), or 4 min have passed.
 * Says how it ended (no KSM: nothing to wait for).
 */
async function settled(): Promise<string> {
  if (!ksm()) return 'KSM off';
  const t0 = performance.now();
  const read = (f: string) => Number(fs.readFileSync(`${KSM}/${f}`, 'utf8'));
  let sharing = read('pages_sharing');
  for (let scans = 1; ; scans++) {
    const done = read('full_scans');
    while (read('full_scans') < done + 1 && performance.now() - t0 < 240_000)
      await new Promise((r) => setTimeout(r, 2000));
    const now = read('pages_sharing');
    const s = ((performance.now() - t0) / 1000).toFixed(0);
    if (performance.now() - t0 >= 240_000) return `KSM still merging after ${s} s`;
    if (scans >= 3 && now - sharing < sharing / 100)
      return `KSM settled after ${s} s (${scans} full scans), ${((now * 4) / 1024).toFixed(0)} MiB merged`;
    sharing = now;
  }
}

function ksm(): boolean {
  try {
    return fs.readFileSync(`${KSM}/run`, 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** The pid of a kernel thread or process by its name, or null. */
function processByName(name: string): number | null {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === name) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return null;
}
