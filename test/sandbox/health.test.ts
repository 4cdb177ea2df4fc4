/**
 * A lab handle's failure reports, without a VM: a lab folder whose "supervisor" is a real process
 * we control. The supervisor's own record (state `failed`) is reported as written; a supervisor
 * that dies without one is reported as `supervisor`; a lab ended through the handle reports
 * nothing; a failed lab is not saved. (faults.test.ts makes real VMs fail.)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, expect, it, vi } from 'vitest';
import type { LabFailure } from '../../engine/sandbox/api.ts';
import { attachLab, labDir, writeLab, type LabRecord } from '../../engine/sandbox/lab.ts';

const root = vi.hoisted(() => {
  const dir = `${process.env.TMPDIR ?? '/tmp'}/dockerlab-health-${process.pid}`;
  process.env.DOCKERLAB_LABS = `${dir}/labs`;
  process.env.DOCKERLAB_SAVED = `${dir}/saved`;
  return dir;
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function fakeLab(id: string): { record: LabRecord; supervisor: ReturnType<typeof spawn> } {
  const supervisor = spawn('sleep', ['600']);
  const record: LabRecord = {
    id,
    hosts: [{ name: 'host1', address: '192.168.56.11', mac: '52:54:00:00:00:09' }],
    memoryMb: 1024,
    cpus: 2,
    state: 'ready',
    createdAt: new Date().toISOString(),
    supervisorPid: supervisor.pid,
  };
  fs.mkdirSync(labDir(id), { recursive: true });
  writeLab(labDir(id), record);
  return { record, supervisor };
}

const next = (lab: { onFailure(l: (f: LabFailure) => void): () => void }) =>
  new Promise<LabFailure>((resolve) => lab.onFailure(resolve));

it('reports the failure the supervisor recorded, once, and refuses to save the lab', async () => {
  const { record, supervisor } = fakeLab('lab-recorded');
  const lab = await attachLab('lab-recorded');
  const reported = next(lab);
  let calls = 0;
  lab.onFailure(() => calls++);
  const failure: LabFailure = { host: 'host1', cause: 'crash', detail: 'QEMU exited with status 1' };
  writeLab(labDir('lab-recorded'), { ...record, state: 'failed', error: failure.detail, failure });
  supervisor.kill('SIGKILL');
  expect(await reported).toEqual(failure);
  await new Promise((r) => setTimeout(r, 2500)); // two more looks: still reported once
  expect(calls).toBe(1);
  await expect(lab.suspend!('k', '')).rejects.toThrow(/a failed lab is not saved/);
  await lab.down();
  expect(fs.existsSync(labDir('lab-recorded'))).toBe(false);
});

it('reports a supervisor that died without a word', async () => {
  const { supervisor } = fakeLab('lab-killed');
  const lab = await attachLab('lab-killed');
  const reported = next(lab);
  supervisor.kill('SIGKILL');
  const failure = await reported;
  expect(failure.cause).toBe('supervisor');
  expect(failure.host).toBeNull();
  expect(failure.detail).toContain(`pid ${supervisor.pid}`);
  await lab.down();
});

it('reports nothing for a lab ended through its handle', async () => {
  fakeLab('lab-ended');
  const lab = await attachLab('lab-ended');
  let reported: LabFailure | null = null;
  lab.onFailure((f) => (reported = f));
  await lab.down(); // its supervisor is sent SIGTERM, and ends
  await new Promise((r) => setTimeout(r, 2500));
  expect(reported).toBeNull();
});
