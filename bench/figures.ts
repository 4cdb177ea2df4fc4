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
  'ksmdCpuPct',
  'checkP95Ms',
  'ipLinkP95Ms',
  'echoServerP50Ms',
  'echoDirectP50Ms',
  'echoWsFloorP50Ms',
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
 * (PSS per lab) and CPU (percent of one core per lab, all cores counted, less what the machine
 * spends however many labs there are: ksmd's scanning) allow.
 */
export function labsPer24GiB(pssMiB: number, cpuPct: number, cores: number, fixedCpuPct = 0): number {
  const byMemory = (24 * 1024) / pssMiB;
  const byCpu = cpuPct > 0 ? (cores * 100 - fixedCpuPct) / cpuPct : Infinity;
  return Math.floor(Math.min(byMemory, byCpu));
}

/** One of issue 12's targets, judged on a run's figures. */
export interface Target {
  what: string;
  target: string;
  /** The figure or ratio; undefined when a figure it needs was not measured. */
  value(f: Figures): number | undefined;
  met(v: number): boolean;
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? a / b : undefined;

export const TARGETS: Target[] = [
  {
    what: 'cold boot ÷ new lab (to a ready dockerd)',
    target: '≥ 20×',
    value: (f) => ratio(f.coldStartMs, f.labStartMs),
    met: (v) => v >= 20,
  },
  {
    what: 'page open → ready prompt, warm pool (ms)',
    target: '≤ 2000',
    value: (f) => f.warmPageReadyMs,
    met: (v) => v <= 2000,
  },
  { what: 'idle lab PSS (MiB)', target: '≤ 400', value: (f) => f.idleLabPssMiB, met: (v) => v <= 400 },
  { what: 'idle lab CPU (% of a core)', target: '≤ 1', value: (f) => f.idleLabCpuPct, met: (v) => v <= 1 },
  {
    what: 'idle one-host labs per 24 GiB, 2 cores',
    target: '≥ 40',
    value: (f) => f.labsPer24GiB,
    met: (v) => v >= 40,
  },
  {
    what: 'check p95 ÷ `ip -j link` p95',
    target: '≤ 2×',
    value: (f) => ratio(f.checkP95Ms, f.ipLinkP95Ms),
    met: (v) => v <= 2,
  },
  {
    what: 'echo through the server ÷ direct pty (p50)',
    target: '≤ 1.5×',
    value: (f) => ratio(f.echoServerP50Ms, f.echoDirectP50Ms),
    met: (v) => v <= 1.5,
  },
  {
    what: 'cat 50 MB through the server ÷ direct pty',
    target: '≥ 0.5×',
    value: (f) => ratio(f.catServerMBps, f.catDirectMBps),
    met: (v) => v >= 0.5,
  },
  {
    what: 'cat 50 MB through the server (MB/s)',
    target: '≥ 40',
    value: (f) => f.catServerMBps,
    met: (v) => v >= 40,
  },
  { what: 'open a shell (ms)', target: '≤ 100', value: (f) => f.shellOpenMs, met: (v) => v <= 100 },
  {
    what: 'RSS per terminal on the host (MiB)',
    target: '≤ 10',
    value: (f) => f.shellRssMiB,
    met: (v) => v <= 10,
  },
  { what: '`verify --all` (min)', target: '≤ 10', value: (f) => f.verifyAllMin, met: (v) => v <= 10 },
  {
    what: 'image build (s)',
    target: '≤ 417 (half of 834)',
    value: (f) => f.imageBuildS,
    met: (v) => v <= 417,
  },
];

/** The targets as a Markdown table: figure, target, this run, met or not. */
export function targetTable(f: Figures): string {
  const rows = TARGETS.map((t) => {
    const v = t.value(f);
    const shown = v === undefined ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(2);
    const verdict = v === undefined ? 'not measured' : t.met(v) ? '✓ met' : '✗ not met';
    return `| ${t.what} | ${t.target} | ${shown} | ${verdict} |`;
  });
  return ['| figure | target | this run | |', '|---|---|---|---|', ...rows].join('\n');
}
