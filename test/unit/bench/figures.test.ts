import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIGURE_KEYS, labsPer24GiB, report } from '../../../bench/figures.ts';
import { lastVerifyAll } from '../../../bench/records.ts';

describe('bench --json report', () => {
  it('carries every measured figure and names each one that was not measured', () => {
    const r = report(
      { coldStartMs: 44647.123456, labStartMs: 2100, echoVmP50Ms: NaN, catServerMBps: Infinity },
      ['web'],
    );
    expect(r.coldStartMs).toBe(44647.123);
    expect(r.labStartMs).toBe(2100);
    expect(r).not.toHaveProperty('echoVmP50Ms');
    expect(r).not.toHaveProperty('catServerMBps');
    expect(r.missing).toContain('echoVmP50Ms');
    expect(r.missing).toContain('catServerMBps');
    expect(r.missing).not.toContain('coldStartMs');
    expect(r.missing.length + 2).toBe(FIGURE_KEYS.length);
    expect(r.failed).toEqual(['web']);
    // One JSON object, numbers only besides the two lists.
    const parsed = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
    for (const [k, v] of Object.entries(parsed))
      if (k !== 'missing' && k !== 'failed') expect(typeof v, k).toBe('number');
  });

  it('gives the issue 12 keys', () => {
    for (const key of [
      'coldStartMs',
      'warmPageReadyMs',
      'labsPer24GiB',
      'shellRssMiB',
      'verifyAllMin',
      'imageBuildS',
    ])
      expect(FIGURE_KEYS).toContain(key);
  });

  it('counts labs by the scarcer of memory and CPU', () => {
    expect(labsPer24GiB(400, 1, 2)).toBe(61); // memory: 24576 / 400
    expect(labsPer24GiB(400, 5, 2)).toBe(40); // CPU: 200 % / 5 %
    expect(labsPer24GiB(1368, 0, 2)).toBe(17); // an idle lab that used no CPU at all
    // ksmd's 10 % of a core comes off the machine's 200 % first: 190 / 5
    expect(labsPer24GiB(400, 5, 2, 10)).toBe(38);
  });

  it('reads the last verify --all record, and no figure from a bad one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-bench-'));
    const file = path.join(dir, 'verify-all.json');
    expect(lastVerifyAll(file)).toBeNull();
    fs.writeFileSync(file, '{"at":"x","minutes":"fifteen"}');
    expect(lastVerifyAll(file)).toBeNull();
    const good = {
      at: '2026-11-28T12:00:00Z',
      minutes: 15.4,
      lessons: 25,
      passed: 25,
      jobs: 2,
      cases: false,
    };
    fs.writeFileSync(file, JSON.stringify(good));
    expect(lastVerifyAll(file)).toEqual(good);
    fs.rmSync(dir, { recursive: true });
  });

  it('refuses an unknown argument before starting anything', async () => {
    const { main } = await import('../../../bench/cli.ts');
    expect(await main(['--jsn'])).toBe(2);
  });
});

describe('targets table', () => {
  it('judges each target on the figures, and says which were not measured', async () => {
    const { targetTable } = await import('../../../bench/figures.ts');
    const t = targetTable({ coldStartMs: 44_000, labStartMs: 2000, shellRssMiB: 1.4, echoServerP50Ms: 0.2 });
    expect(t).toMatch(/cold boot ÷ new lab[^\n]*\| 22\.00 \| ✓ met \|/);
    expect(t).toMatch(/RSS per terminal[^\n]*\| 1\.40 \| ✓ met \|/);
    expect(t).toMatch(/echo through the server[^\n]*\| — \| not measured \|/);
    expect(t).toMatch(/open a shell[^\n]*not measured/);
  });
});
