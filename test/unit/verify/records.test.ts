// The records store on disk: a record written is read back whole; a missing, truncated, non-gzip or
// wrongly shaped file counts as absent (the case then runs in the lab), never as a verdict.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { defaults } from '../../../engine/sandbox/lab.ts';
import { caseKey, environmentKey, fileRecords, type CaseRecord } from '../../../engine/verify/records.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerlab-records-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const record: CaseRecord = {
  at: '2026-11-28T18:00:00.000Z',
  where: 'lessons/15-netns-veth.md:72',
  execs: [
    { host: 'host1', command: 'cat state', result: { stdout: 'a b', stderr: '', code: 0, timedOut: false } },
  ],
};

describe('case records on disk', () => {
  it('reads back what it wrote, and nothing for a key never written', () => {
    const store = fileRecords(dir);
    store.put('k1', record);
    expect(store.get('k1')).toEqual(record);
    expect(store.get('k2')).toBeNull();
  });

  it('treats a damaged or foreign file as no record', () => {
    const store = fileRecords(dir);
    fs.writeFileSync(path.join(dir, 'bad1.json.gz'), 'not gzip at all');
    fs.writeFileSync(path.join(dir, 'bad2.json.gz'), zlib.gzipSync('{"at": 1}'));
    fs.writeFileSync(path.join(dir, 'bad3.json.gz'), zlib.gzipSync(JSON.stringify(record)).subarray(0, 20));
    for (const k of ['bad1', 'bad2', 'bad3']) expect(store.get(k)).toBeNull();
  });

  it('keys a case by the environment, the step start and the case (role and commands)', () => {
    const c = { role: 'wrong', scripts: { host1: 'ip link add x type dummy' } };
    const k = caseKey('env', 'start', c);
    expect(caseKey('env', 'start', { ...c })).toBe(k);
    expect(caseKey('env2', 'start', c)).not.toBe(k);
    expect(caseKey('env', 'start2', c)).not.toBe(k);
    expect(caseKey('env', 'start', { ...c, role: 'ok' })).not.toBe(k);
    expect(caseKey('env', 'start', { ...c, scripts: { host2: c.scripts.host1 } })).not.toBe(k);
  });
});

describe('the environment in the key', () => {
  it('follows the guest size labs really get, whether from the environment or from lab.ts', async () => {
    const was = { ...defaults };
    try {
      const base = await environmentKey();
      defaults.cpus = was.cpus === 1 ? 2 : 1;
      const otherCpus = await environmentKey();
      defaults.cpus = was.cpus;
      defaults.memoryMb = 768;
      const smaller = await environmentKey();
      expect(new Set([base, otherCpus, smaller]).size).toBe(3);
      defaults.memoryMb = was.memoryMb;
      expect(await environmentKey()).toBe(base);
    } finally {
      Object.assign(defaults, was);
    }
  });
});
