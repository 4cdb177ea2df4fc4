/**
 * The order `verify --jobs N` starts lessons in: longest first, so two labs side by side do not end
 * with one long lesson running alone (a two-host lesson started last kept one job busy for minutes
 * while the other sat idle). A lesson's length is how long it took last time (kept in the data
 * folder), or an estimate from its hosts, steps and near-miss cases when it has never run.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { Lesson } from '../lessons/types.ts';

const Times = z.record(z.string(), z.number().nonnegative());
type Times = z.infer<typeof Times>;

export function timesFile(): string {
  return path.join(process.env.DOCKERLAB_DATA ?? path.join(os.homedir(), '.dockerlab'), 'verify-times.json');
}

/** The key a duration is kept under: the same lesson with and without its cases are different runs. */
const key = (lesson: Lesson, cases: boolean) => `${lesson.id}${cases ? '' : ' --no-cases'}`;

/** About how many milliseconds a lesson takes, from nothing but its text: a lab start, each step, each case. */
export function estimateMs(lesson: Lesson, cases: boolean): number {
  const units = 3 + lesson.steps.reduce((n, s) => n + 3 + (cases ? s.cases.length : 0), 0);
  return units * 5_000 * lesson.hosts;
}

export function readTimes(file = timesFile()): Times {
  try {
    const parsed = Times.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** Adds this run's durations to what is kept; an unwritable folder only loses the ordering hint. */
export function recordTimes(
  runs: { lesson: Lesson; ms: number }[],
  cases: boolean,
  file = timesFile(),
): void {
  const times = readTimes(file);
  for (const r of runs) times[key(r.lesson, cases)] = r.ms;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(times, null, 1) + '\n');
  } catch {
    // read-only home
  }
}

/**
 * The whole verdict of a lesson's last run (every step and case with its time), kept as
 * `verdicts/<lesson>.json` in the data folder: where a slow lesson's time goes, after the fact.
 */
export function recordVerdict(verdict: { id: string }, file = timesFile()): void {
  const dir = path.join(path.dirname(file), 'verdicts');
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${verdict.id}.json`), JSON.stringify(verdict) + '\n');
  } catch {
    // read-only home
  }
}

/** Indexes into `lessons`, longest expected first (ties keep the course's order). */
export function longestFirst(lessons: Lesson[], cases: boolean, times: Times = readTimes()): number[] {
  const ms = lessons.map((l) => times[key(l, cases)] ?? estimateMs(l, cases));
  return lessons.map((_, i) => i).sort((a, b) => ms[b]! - ms[a]! || a - b);
}
