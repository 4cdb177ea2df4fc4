/**
 * The figures of one `npm run bench` run, as `dockerlab bench --json` prints them (issue 12): each
 * a number measured in this run (or, for the course and the image build, read from the last
 * recorded run). A figure that was not measured is absent and named in `missing`, never guessed.
 */

/** Every figure the JSON report carries, in the order it prints them. */
export const FIGURE_KEYS = [
  'coldStartMs',
  'labStartMs',
  'warmPageReadyMs',
  'idleLabPssMiB',
  'idleLabCpuPct',
  'labsPer24GiB',
  'checkP95Ms',
  'ipLinkP95Ms',
  'echoServerP50Ms',
  'echoDirectP50Ms',
  'echoVmP50Ms',
  'echoVmP95Ms',
  'catServerMBps',
  'catDirectMBps',
  'shellOpenMs',
  'shellRssMiB',
  'verifyAllMin',
  'imageBuildS',
] as const;

export type FigureKey = (typeof FIGURE_KEYS)[number];
export type Figures = Partial<Record<FigureKey, number>>;

export interface Report extends Figures {
  /** Keys of FIGURE_KEYS with no figure in this run. */
  missing: FigureKey[];
  /** Parts of the bench that failed, by name (their figures are then missing too). */
  failed: string[];
}

/**
 * The report of a run: only finite numbers count as measured (NaN from an empty sample, or an
 * Infinity from a division by a zero time, is a figure that was not measured, named in `missing`).
 */
export function report(figures: Figures, failed: string[] = []): Report {
  const out: Report = { missing: [], failed };
  for (const key of FIGURE_KEYS) {
    const value = figures[key];
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = round(value);
    else out.missing.push(key);
  }
  return out;
}

/** Three significant decimals at most: a figure, not noise. */
function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/**
 * How many idle one-host labs fit 24 GiB and this machine's cores: the smaller of what memory
 * (PSS per lab) and CPU (percent of one core per lab, all cores counted) allow.
 */
export function labsPer24GiB(pssMiB: number, cpuPct: number, cores: number): number {
  const byMemory = (24 * 1024) / pssMiB;
  const byCpu = cpuPct > 0 ? (cores * 100) / cpuPct : Infinity;
  return Math.floor(Math.min(byMemory, byCpu));
}
