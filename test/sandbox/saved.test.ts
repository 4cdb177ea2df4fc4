/**
 * A learner's lab saved whole while they are away, and resumed as it was: the server's LabManager
 * with the real VM provider, on a two-host lab (so the LAN between the VMs must come back too).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Lesson } from '../../engine/lessons/types.ts';
import type { LabStatus } from '../../engine/protocol.ts';
import { labDir, listLabs, readLab } from '../../engine/sandbox/lab.ts';
import { NoSavedLabError, readSaved, savedLabDir, writeSaved } from '../../engine/sandbox/saved.ts';
import { LabManager } from '../../engine/server/labs.ts';
import { vmProvider } from '../../engine/server/vm-provider.ts';

const learner = `test-saved-${process.pid}`;
const lesson = (id: string): Lesson => ({
  id,
  title: id,
  chapter: 1,
  hosts: 2,
  minutes: 1,
  prerequisites: [],
  setup: {},
  intro: '',
  steps: [],
  summary: '',
  file: `${id}.md`,
});

const prepared: { lesson: string; replay: boolean }[] = [];
const statuses: LabStatus[] = [];
const labs = new LabManager({
  provider: vmProvider,
  maxLabs: 1,
  idleMs: 3_600_000,
  onStatus: (_, status) => statuses.push(status),
  prepare: async (_, _lab, l, replay) => void prepared.push({ lesson: l.id, replay }),
});

afterAll(async () => {
  await labs.dispose();
  fs.rmSync(savedLabDir(learner), { recursive: true, force: true });
});

describe('a saved lab', () => {
  it('comes back whole: files, a running container, a netns, the LAN, its identity, the clock', async () => {
    const lab = await labs.ensure(learner, lesson('l1'));
    expect(prepared).toEqual([{ lesson: 'l1', replay: true }]);
    const h1 = lab.host('host1');
    const before = await h1.exec(
      'echo kept > /root/marker && docker run -d --name keep busybox sleep 100000 >/dev/null && ' +
        'ip netns add kept && cat /etc/machine-id && ip -br link show eth0',
    );
    expect(before.code).toBe(0);

    await labs.stop(learner, { zh: '测试。', en: 'Test.' }, true);
    expect(fs.existsSync(labDir(lab.id))).toBe(false);
    expect(listLabs().some((l) => l.id === lab.id)).toBe(false);
    expect(readSaved(learner).note).toBe('l1');
    expect(statuses.at(-1)).toMatchObject({
      state: 'stopped',
      reason: { zh: expect.stringContaining('原样保存') },
    });

    const again = await labs.ensure(learner, lesson('l1'));
    expect(readLab(labDir(again.id)).boot?.from).toBe('saved');
    expect(prepared).toHaveLength(1); // saved in this lesson: nothing to set up or redo
    expect(fs.existsSync(savedLabDir(learner))).toBe(false); // resumed once, then it is the lab's own
    const after = await again
      .host('host1')
      .exec(
        'cat /root/marker && docker inspect -f "{{.State.Running}}" keep && ip netns list && ' +
          'cat /etc/machine-id && ip -br link show eth0 && ping -c1 -W3 host2 >/dev/null && echo lan && date +%s',
      );
    expect(after.stderr).toBe('');
    const lines = after.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim());
    expect(lines.slice(0, 3)).toEqual(['kept', 'true', 'kept']);
    const machine = before.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim());
    expect(lines.slice(3, 5)).toEqual(machine); // the same machine-id, MAC and state of eth0
    expect(lines[5]).toBe('lan');
    expect(Math.abs(Number(lines[6]) - Date.now() / 1000)).toBeLessThan(10);
  });

  it('is used only where it can be: another lesson prepares, a dead image is forgotten', async () => {
    // Resumed into another lesson: that lesson's setup runs on the resumed machine, nothing replayed.
    await labs.stop(learner, null, true);
    await labs.ensure(learner, lesson('l2'));
    expect(prepared.at(-1)).toEqual({ lesson: 'l2', replay: false });
    await labs.stop(learner, null);

    // A saved lab whose VM image was since rebuilt cannot be resumed: a new lab, with the replay.
    const dir = savedLabDir(learner);
    fs.mkdirSync(dir, { recursive: true });
    const gone = path.join(dir, 'no-such-image');
    writeSaved(dir, {
      hosts: [],
      memoryMb: 1024,
      cpus: 2,
      accel: 'tcg',
      kernel: gone,
      initrd: gone,
      backing: gone,
      note: 'l1',
      savedAt: new Date().toISOString(),
    });
    expect(() => readSaved(learner)).toThrow(NoSavedLabError);
    const lab = await labs.ensure(learner, lesson('l1'));
    expect(readLab(labDir(lab.id)).boot?.from).toBe('snapshot');
    expect(prepared.at(-1)).toEqual({ lesson: 'l1', replay: true });
    expect(fs.existsSync(dir)).toBe(false);
  });
});
