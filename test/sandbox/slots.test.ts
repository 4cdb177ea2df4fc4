/**
 * Host slot snapshots (image.ts ensureSlotSnapshot): a lab's VMs restored with their slot's identity
 * baked in, so dockerd is not restarted; within a lab every identity differs, two labs from the same
 * snapshots share them but cannot see each other, and each VM's randomness is its own. Swarm, whose
 * ids are made at `swarm init`/`join`, works across the slots.
 */
import { spawn } from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../engine/sandbox/api.ts';
import { defaults, labDir, readLab, startLab } from '../../engine/sandbox/lab.ts';
import { guestSpareStatus } from '../../engine/sandbox/paths.ts';

let a: Lab;
let b: Lab;
const was = defaults.slotSnapshots;

const out = async (lab: Lab, host: string, script: string): Promise<string> => {
  const r = await lab.host(host).exec(script, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`${host}: ${script} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
};

async function until(test: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  defaults.slotSnapshots = true;
  // The first run makes the slots' snapshots (about 20-40 s each under TCG), later ones reuse them.
  a = await startLab({ hosts: 2, label: 'slots test A' });
  b = await startLab({ hosts: 1, label: 'slots test B' });
});
afterAll(async () => {
  defaults.slotSnapshots = was;
  await Promise.all([a?.down(), b?.down()]);
});

describe('labs from host slot snapshots', () => {
  it("start from their slots' snapshots, with the slot's identity", async () => {
    expect(readLab(labDir(a.id)).boot?.from).toBe('slot');
    expect(readLab(labDir(b.id)).boot?.from).toBe('slot');
    expect(await out(a, 'host2', "hostname; ip -4 -o addr show eth0 | awk '{print $4}'")).toBe(
      'host2\n192.168.56.12/24',
    );
    expect(await out(a, 'host1', 'getent hosts host2')).toMatch(/^192\.168\.56\.12\s+host2$/);
    // A one-host lab lists only its own host.
    expect((await b.host('host1').exec('getent hosts host2')).code).not.toBe(0);
    // The clock is now, not the snapshot's (restore.pl set it).
    const guest = Number(await out(b, 'host1', 'date +%s'));
    expect(Math.abs(guest - Date.now() / 1000)).toBeLessThan(10);
  });

  it("give a terminal the guest's spare shell, already at a prompt with the slot's name", async () => {
    // agent.py keeps a login shell ready while no terminal is open; the slot snapshot was saved
    // once it was remade under the slot's name (identity.sh renames the VM).
    const [pid, name, state] = (await out(a, 'host2', `cat ${guestSpareStatus}`)).split(' ');
    expect([name, state]).toEqual(['host2', 'ready']);
    const command = a.host('host2').shellCommand();
    const pty = spawn(command.file, command.args, { name: 'xterm-256color', cols: 90, rows: 20 });
    let screen = '';
    pty.onData((d) => (screen += d));
    try {
      await until(() => screen.includes('\x1b]133;B'), 'the prompt');
      expect(screen).toContain('root@host2');
      pty.write('echo pid=$$ size=$(stty size)\r');
      await until(() => /pid=\d+ size=/.test(screen), 'the answer');
      expect(screen).toContain(`pid=${pid} size=20 90`);
    } finally {
      pty.kill();
    }
  });

  it('differ within a lab: hostname, MAC, machine-id, dockerd engine id', async () => {
    const id = "hostname; cat /sys/class/net/eth0/address /etc/machine-id; docker info --format '{{.ID}}'";
    const [h1, h2] = await Promise.all([out(a, 'host1', id), out(a, 'host2', id)]);
    const l1 = h1.split('\n');
    const l2 = h2.split('\n');
    expect(l1).toHaveLength(4);
    for (let i = 0; i < 4; i++) expect(l1[i], `line ${i}`).not.toBe(l2[i]);
  });

  it('did not restart dockerd: the same dockerd process in two labs restored from one slot', async () => {
    const pid = 'pidof dockerd; cat /proc/$(pidof dockerd)/stat | cut -d" " -f22';
    expect(await out(a, 'host1', pid)).toBe(await out(b, 'host1', pid));
    // … and it works.
    expect(await out(b, 'host1', 'docker run --rm busybox echo ok')).toBe('ok');
  });

  it('cannot see each other, and draw their own random numbers', async () => {
    // host2 exists in lab A only: A's host1 reaches it, B's host1 (the same address as A's) does not.
    expect((await a.host('host1').exec('ping -c1 -W3 192.168.56.12')).code).toBe(0);
    expect((await b.host('host1').exec('ping -c1 -W3 192.168.56.12')).code).not.toBe(0);
    await out(a, 'host1', 'echo from-a > /root/only-in-a; docker network create only-in-a >/dev/null');
    expect((await b.host('host1').exec('cat /root/only-in-a')).code).not.toBe(0);
    expect(await out(b, 'host1', 'docker network ls --format "{{.Name}}"')).not.toContain('only-in-a');
    // Restored from the same RAM, the two guests would draw the same bytes without a reseed.
    const rand =
      'head -c 32 /dev/urandom | od -An -tx1 | tr -d " \\n"; echo; cat /proc/sys/kernel/random/uuid';
    const [ra, rb] = await Promise.all([out(a, 'host1', rand), out(b, 'host1', rand)]);
    expect(ra.split('\n')[0]).not.toBe(rb.split('\n')[0]);
    expect(ra.split('\n')[1]).not.toBe(rb.split('\n')[1]);
  });

  it('form a swarm across the two slots of a lab', async () => {
    await out(a, 'host1', 'docker swarm init --advertise-addr 192.168.56.11 >/dev/null');
    const token = await out(a, 'host1', 'docker swarm join-token -q worker');
    await out(a, 'host2', `docker swarm join --token ${token} 192.168.56.11:2377 >/dev/null`);
    const nodes = await out(a, 'host1', "docker node ls --format '{{.Hostname}} {{.Status}}' | sort");
    expect(nodes).toBe('host1 Ready\nhost2 Ready');
  });
});
