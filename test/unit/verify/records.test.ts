// The records store on disk: a record written is read back whole; a missing, truncated, non-gzip or
// wrongly shaped file counts as absent (the case then runs in the lab), never as a verdict.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { defaults } from '../../../engine/sandbox/lab.ts';
import type { ExecResult, Lab, SandboxHost } from '../../../engine/sandbox/api.ts';
import {
  caseKey,
  environmentKey,
  fileRecords,
  NotRecorded,
  recording,
  replaying,
  type CaseRecord,
} from '../../../engine/verify/records.ts';

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

describe('recording and replaying what a check asks of a host', () => {
  const said = (stdout: string): ExecResult => ({ stdout, stderr: '', code: 0, timedOut: false });
  /** A one-host lab whose answers name what was asked, so a mixed-up replay shows. */
  function lab(): Lab {
    const host: SandboxHost = {
      name: 'host1',
      address: '',
      shellCommand: () => ({ file: 'true', args: [] }),
      exec: async (script) => said(`ran ${script}`),
      ask: async (socket, request) => said(`${socket} answered ${request}`),
    };
    return { id: 'lab', hosts: [host], host: () => host, down: async () => {} };
  }

  it('answers an exec and an ask (a guest socket, no process) as they were answered', async () => {
    const rec = recording(lab());
    const h = rec.lab.host('host1');
    expect((await h.ask('/run/x.sock', 'images\n')).stdout).toBe('/run/x.sock answered images\n');
    expect((await h.exec('ip -j link')).stdout).toBe('ran ip -j link');
    const execs = rec.take();
    expect(execs.map((e) => [e.command, e.ask ?? false, e.stdin])).toEqual([
      ['/run/x.sock', true, 'images\n'],
      ['ip -j link', false, undefined],
    ]);
    const replay = replaying(lab(), { at: '', where: '', execs }).lab.host('host1');
    expect((await replay.ask('/run/x.sock', 'images\n')).stdout).toBe('/run/x.sock answered images\n');
    expect((await replay.exec('ip -j link')).stdout).toBe('ran ip -j link');
    // Another request, or a script that happens to be the socket's path, was never answered.
    await expect(replay.ask('/run/x.sock', 'volumes\n')).rejects.toThrow(NotRecorded);
    await expect(replay.exec('/run/x.sock', { stdin: 'images\n' })).rejects.toThrow(NotRecorded);
  });
});
