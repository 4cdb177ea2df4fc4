/**
 * Lab checkpoints on a real two-host lab: a restore brings back, on both VMs, the files, containers,
 * network namespaces and links there were at the checkpoint, removes the ones made after it, sets
 * the clock to now, and leaves dockerd, the guest channel and the LAN between the VMs working —
 * again and again from the same checkpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../engine/sandbox/api.ts';
import { startLab } from '../../engine/sandbox/lab.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({ hosts: 2, label: 'test checkpoint' });
});
afterAll(async () => {
  await lab?.down();
});

/** What a restore must bring back or take away, as one line per thing, on one host. */
const state = `
for f in before after; do [ -e /root/$f ] && echo "file $f"; done
docker ps -a --format 'container {{.Names}} {{.State}}' | sort
ip netns list | awk '{print "netns " $1}' | sort
for l in dummyb dummya; do ip link show $l >/dev/null 2>&1 && echo "link $l"; done
true`;

async function sh(host: string, script: string): Promise<string> {
  const r = await lab.host(host).exec(script, { timeoutMs: 120_000 });
  expect(r.stderr + `exit ${r.code}`).toBe('exit 0'); // prints what went wrong when it did
  return r.stdout;
}

const hosts = ['host1', 'host2'];
const atCheckpoint = ['container keep running', 'file before', 'link dummyb', 'netns nsb'];

describe('lab checkpoints', () => {
  it('restore brings back files, containers, netns and links on both hosts, and removes later ones', async () => {
    for (const h of hosts) {
      await sh(h, 'docker rm -f $(docker ps -aq) >/dev/null 2>&1; true');
      await sh(
        h,
        'touch /root/before && docker run -d --name keep busybox sleep 1d >/dev/null && ip netns add nsb && ip link add dummyb type dummy',
      );
    }
    await lab.checkpoint!('c1');

    for (const h of hosts) {
      await sh(
        h,
        'rm /root/before && touch /root/after && docker rm -f keep >/dev/null && docker run -d --name later busybox sleep 1d >/dev/null',
      );
      await sh(
        h,
        'ip netns del nsb && ip netns add nsa && ip link del dummyb && ip link add dummya type dummy',
      );
      expect((await sh(h, state)).trim().split('\n')).toEqual([
        'file after',
        'container later running',
        'netns nsa',
        'link dummya',
      ]);
    }

    await lab.restore!('c1');
    for (const h of hosts) {
      expect((await sh(h, state)).trim().split('\n').sort()).toEqual(atCheckpoint);
      // The clock is now, not the checkpoint's; dockerd and the container answer.
      const guest = Number(await sh(h, 'date +%s'));
      expect(Math.abs(guest - Date.now() / 1000)).toBeLessThan(5);
      expect((await sh(h, 'docker exec keep echo alive')).trim()).toBe('alive');
    }
    // The LAN between the VMs works after both came back.
    await sh('host1', `ping -c 1 -W 5 ${lab.host('host2').address} >/dev/null`);
  });

  it('restores the same checkpoint again after more changes, and refuses a name it does not have', async () => {
    for (const h of hosts)
      await sh(h, 'touch /root/after && ip netns add nsa && docker stop -t 0 keep >/dev/null');
    await lab.restore!('c1');
    for (const h of hosts) expect((await sh(h, state)).trim().split('\n').sort()).toEqual(atCheckpoint);
    await expect(lab.restore!('nowhere')).rejects.toThrow(/loadvm nowhere on host1/);
    await expect(lab.checkpoint!('a b')).rejects.toThrow(/letters, digits/);
  });
});
