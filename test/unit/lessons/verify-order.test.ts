// The order `verify --jobs N` starts lessons in: longest first, from the last run's durations or,
// for a lesson never run, an estimate from its hosts, steps and cases.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Lesson, Step } from '../../../engine/lessons/types.ts';
import { estimateMs, longestFirst, readTimes, recordTimes } from '../../../engine/verify/order.ts';

const step = (cases: number): Step => ({
  index: 0, title: 's', body: '', hints: [], line: 1, solution: {}, check: [],
  cases: Array.from({ length: cases }, (_, i) => ({ role: 'wrong' as const, why: 'w', scripts: {}, line: i, lines: {} })),
});
const lesson = (id: string, hosts: number, steps: Step[]): Lesson => ({
  id, title: id, chapter: 1, hosts, minutes: 1, prerequisites: [], setup: {}, intro: '', summary: '', file: `${id}.md`, steps,
});

describe('longestFirst', () => {
  const one = lesson('01', 1, [step(2)]);
  const many = lesson('02', 1, [step(4), step(4)]);
  const twoHosts = lesson('03', 2, [step(2)]);

  it('without records: a two-host lesson and a lesson with more cases go first', () => {
    expect(estimateMs(twoHosts, true)).toBe(2 * estimateMs(one, true));
    expect(estimateMs(many, true)).toBeGreaterThan(estimateMs(many, false));
    expect(longestFirst([one, many, twoHosts], true, {})).toEqual([1, 2, 0]);
  });

  it('a recorded duration wins over the estimate, per run kind (with or without cases)', () => {
    const times = { '01': 900_000, '02 --no-cases': 1 };
    expect(longestFirst([one, many, twoHosts], true, times)).toEqual([0, 1, 2]);
    expect(longestFirst([one, many, twoHosts], false, times)).toEqual([2, 0, 1]);
  });

  it('keeps the durations it records and ignores a damaged file', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dl-order-')), 'times.json');
    recordTimes([{ lesson: one, ms: 1234 }], true, file);
    recordTimes([{ lesson: many, ms: 99 }], false, file);
    expect(readTimes(file)).toEqual({ '01': 1234, '02 --no-cases': 99 });
    fs.writeFileSync(file, '{"01": "soon"}');
    expect(readTimes(file)).toEqual({});
  });
});
