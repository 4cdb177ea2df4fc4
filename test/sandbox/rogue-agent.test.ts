/**
 * The learner is root in the VM and can replace the guest agent; against a real VM and its real
 * supervisor: an agent that restarts ends the channels that were open (none waits forever), and a
 * rogue program on the agent's port that floods it and then sends a frame length of 0xFFFFFFFF
 * fails that lab with the reason (the supervisor's own record, not a crash), its memory bounded.
 * See test/unit/sandbox/rogue-agent.test.ts for each bad frame one by one, without a VM.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Lab, LabFailure } from '../../engine/sandbox/api.ts';
import { GuestClient } from '../../engine/sandbox/client.ts';
import { labDir, readLab, startLab } from '../../engine/sandbox/lab.ts';

const MiB = 2 ** 20;
let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ hosts: 1, label: 'rogue agent' });
});
afterAll(async () => {
  await lab?.down();
});

function rssKiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // it has exited
  }
}

it('an agent that restarts ends the channels that were open, and the next command runs', async () => {
  const client = await GuestClient.connect(path.join(labDir(lab.id), 'host1.sock'));
  const sleeper = client.open({ argv: ['sleep', '300'] });
  let stderr = '';
  sleeper.on('stderr', (b) => (stderr += b.toString()));
  const exit = new Promise<{ code: number }>((r) => sleeper.once('exit', r));
  // From outside the agent's cgroup, which a restart empties.
  await lab
    .host('host1')
    .exec(
      'systemd-run --no-block --unit=dockerlab-test-restart sh -c "sleep 1; systemctl restart dockerlab-agent"',
    );
  expect((await exit).code).toBe(255);
  expect(stderr).toContain('the guest agent restarted and this command was lost');
  client.close();
  expect((await lab.host('host1').exec('echo back')).stdout).toBe('back\n');
});

it('a rogue on the agent port that floods and then sends a bad frame length fails that lab, with the reason', async () => {
  const supervisor = readLab(labDir(lab.id)).supervisorPid!;
  const failed = new Promise<LabFailure>((resolve) => lab.onFailure!(resolve));
  const floodBytes = 64 * MiB;
  const rogue = `import os, struct
fd = os.open("/dev/virtio-ports/org.dockerlab.agent", os.O_RDWR)
def write(data):
    while data:
        data = data[os.write(fd, data):]
frame = struct.pack(">IIB", 32768 + 5, 999999, 3) + b"x" * 32768
for _ in range(${floodBytes / 32768}):
    write(frame)  # output for a channel nobody opened, as fast as the line takes it
write(b"\\xff\\xff\\xff\\xff" + b"\\0" * 16)
`;
  const base = rssKiB(supervisor);
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(supervisor))), 100);
  const started = Date.now();
  await lab
    .host('host1')
    .exec(
      `cat > /root/rogue.py <<'EOF'\n${rogue}EOF\nsystemd-run --no-block --unit=dockerlab-test-rogue sh -c 'sleep 1; systemctl stop dockerlab-agent; exec python3 /root/rogue.py'`,
    );
  const failure = await failed;
  clearInterval(sampler);
  const growthMiB = Math.round((peak - base) / 1024);
  console.log(
    `[rogue agent] ${floodBytes / MiB} MiB flood + length 0xFFFFFFFF: onFailure(${failure.cause}) after ${Date.now() - started} ms; supervisor RSS ${Math.round(base / 1024)} MiB, peak +${growthMiB} MiB; ${failure.detail}`,
  );
  expect(failure.cause).toBe('unresponsive');
  expect(failure.host).toBe('host1');
  expect(failure.detail).toContain('the agent line broke');
  expect(failure.detail).toContain('frame length 4294967295');
  expect(growthMiB).toBeLessThan(128);
});
