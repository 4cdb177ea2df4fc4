/**
 * The check library against a real lab (QEMU, TCG): lesson 15's veth lab done right, with the
 * pair crossed, with one end down; a container and reachability; and dockerd stopped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateConditions } from '../../engine/checks/evaluate.ts';
import type { StepResult } from '../../engine/checks/types.ts';
import { inspectHost } from '../../engine/inspect/inspect.ts';
import type { Condition } from '../../engine/lessons/types.ts';
import type { Lab } from '../../engine/sandbox/api.ts';
import { startLab } from '../../engine/sandbox/lab.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab({ label: 'checks test' });
});
afterAll(async () => {
  await lab?.down();
});

async function sh(script: string): Promise<void> {
  const r = await lab.host('host1').exec(`set -e\n${script}`, { timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`setup failed (${r.code}): ${r.stderr}`);
}
const conds = (list: Record<string, unknown>[]): Condition[] =>
  list.map((c, i) => {
    const [kind, params] = Object.entries(c)[0]!;
    return { kind, params, line: i + 1 };
  });
const texts = (r: StepResult): string => r.conditions.flatMap((c) => c.messages.map((m) => m.zh)).join('\n');

const veth = conds([
  { netns: ['ns1', 'ns2'] },
  {
    veth: {
      ends: [
        { name: 'veth-ns1', netns: 'ns1' },
        { name: 'veth-ns2', netns: 'ns2' },
      ],
    },
  },
  { addr: { dev: 'veth-ns1', netns: 'ns1', addr: '192.168.0.11/24' } },
  { addr: { dev: 'veth-ns2', netns: 'ns2', addr: '192.168.0.12/24' } },
  { link: { name: 'veth-ns1', netns: 'ns1', up: true } },
  { link: { name: 'veth-ns2', netns: 'ns2', up: true } },
  { reach: { from: { netns: 'ns1' }, to: '192.168.0.12' } },
]);
const build = (moveB: string, upB: boolean) => `ip netns del ns1 2>/dev/null || true
ip netns del ns2 2>/dev/null || true
ip netns add ns1; ip netns add ns2
ip link add veth-ns1 type veth peer name veth-ns2
ip link set veth-ns1 netns ns1
ip link set veth-ns2 netns ${moveB}
ip netns exec ns1 ip addr add 192.168.0.11/24 dev veth-ns1
ip netns exec ${moveB} ip addr add 192.168.0.12/24 dev veth-ns2
ip netns exec ns1 ip link set veth-ns1 up
${upB ? `ip netns exec ${moveB} ip link set veth-ns2 up` : 'true'}`;

describe('the veth lab of lesson 15', () => {
  it('passes when done right', async () => {
    await sh(build('ns2', true));
    const r = await evaluateConditions(veth, lab);
    expect(r.conditions.filter((c) => !c.ok).map((c) => c.messages[0]?.en)).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('fails with the reason when both ends of the pair are in ns1', async () => {
    await sh(build('ns1', true));
    const r = await evaluateConditions(veth, lab);
    expect(r.ok).toBe(false);
    expect(r.conditions[0]!.ok).toBe(true); // the namespaces are there: partial progress is shown
    expect(r.conditions[1]!.ok).toBe(false);
    expect(r.conditions[1]!.messages[0]!.zh).toBe(
      'veth-ns1 在命名空间 ns1 里，但它的另一端 veth-ns2 还在命名空间 ns1 里，没有移到命名空间 ns2',
    );
    expect(r.conditions[3]!.ok).toBe(false); // no veth-ns2 in ns2, so no address there either
  });

  it('fails when one end is down, and says which', async () => {
    await sh(build('ns2', false));
    const r = await evaluateConditions(veth, lab);
    expect(r.ok).toBe(false);
    expect(r.conditions[1]!.ok).toBe(true); // the pair itself is right
    expect(r.conditions[5]!.ok).toBe(false);
    expect(r.conditions[5]!.messages[0]!.zh).toMatch(/命名空间 ns2 里的 veth-ns2 是 DOWN 的/);
    expect(r.conditions[6]!.ok).toBe(false);
    expect(texts(r)).toMatch(/从命名空间 ns1 ping 不通 192\.168\.0\.12/);
  });
});

describe('docker and reachability', () => {
  it('sees a container by image, reaches it, and fetches its page', async () => {
    // No /run/netns, as on a host where nobody ran `ip netns add`: a container's namespace must
    // still be read (the `ip -n ../../proc/PID/ns/net` trick the inspector once used needed it).
    await sh('ip -all netns del; umount /run/netns 2>/dev/null; rmdir /run/netns; true');
    await sh('docker run -d --name web -p 8080:80 nginx >/dev/null');
    const r = await evaluateConditions(
      conds([
        { container: { image: 'nginx', running: true, ports: [{ container: 80, host: 8080 }] } },
        { bridge: { name: 'docker0', ports: [{ container: 'web' }] } },
        { reach: { to: { container: 'web' }, port: 80 } },
        { http: { port: { container: 'web', port: 80 }, contains: 'nginx' } },
        { container: { name: 'web', running: false } },
      ]),
      lab,
    );
    expect(r.conditions.map((c) => c.ok)).toEqual([true, true, true, true, false]);
    expect(r.conditions[4]!.messages[0]!.zh).toBe('容器 web 还在运行，应该已经停止');
  });

  it('keeps image details across snapshots, but takes tags from the current listing', async () => {
    const first = await inspectHost(lab.host('host1'));
    const busybox = first.docker.images.find((i) => i.tags.includes('busybox:latest'))!;
    expect(busybox.history.length).toBeGreaterThan(0);
    await sh('docker tag busybox mybox:1');
    const r = await lab
      .host('host1')
      .exec(`ls /run/dockerlab/images | grep -c '^${busybox.id.slice(7)}.json$'`);
    expect(r.stdout.trim()).toBe('1');
    const second = await inspectHost(lab.host('host1'));
    const again = second.docker.images.find((i) => i.id === busybox.id)!;
    expect(again.tags.sort()).toEqual(['busybox:latest', 'mybox:1']);
    expect(again.history).toEqual(busybox.history);
    await sh('docker rmi mybox:1 >/dev/null');
  });

  it('answers from a resident inspector, and still answers when the learner kills it', async () => {
    const serving = "pgrep -f 'serve\\(\"/run/dockerlab/inspect_' | wc -l";
    const resident = async () => (await lab.host('host1').exec(serving)).stdout.trim();
    await inspectHost(lab.host('host1'));
    expect(await resident()).toBe('1');
    const fast = await inspectHost(lab.host('host1'));
    await sh("pkill -f 'serve\\(\"/run/dockerlab/inspect_'");
    const slow = await inspectHost(lab.host('host1')); // the slow way, and a new resident one
    expect(await resident()).toBe('1');
    // Sorted: dockerd lists images built in the same second in no fixed order.
    const shape = (s: typeof fast) => ({
      namespaces: s.namespaces.map((n) => `${n.id} ${n.names} ${n.links.map((l) => l.name)}`).sort(),
      containers: s.docker.containers.map((c) => c.name).sort(),
      images: s.docker.images.map((i) => i.id).sort(),
    });
    expect(shape(slow)).toEqual(shape(fast));
  });

  it('sees every change to a container, though the resident inspector keeps them between snapshots', async () => {
    const host = lab.host('host1');
    const find = async (id: string) => {
      const s = await inspectHost(host, { parts: ['containers'] });
      expect(s.parts).toEqual(['containers']);
      expect(s.errors).toEqual([]);
      return s.docker.containers.find((c) => c.id === id);
    };
    await sh('docker run -d --name kept busybox sleep 100000 >/dev/null');
    const first = (await inspectHost(host, { parts: ['containers'] })).docker.containers.find(
      (c) => c.name === 'kept',
    )!;
    expect(first).toMatchObject({ running: true, memory: 0 });
    expect(await find(first.id)).toEqual(first); // kept, and the same
    await sh('docker update --memory 64m --memory-swap 128m kept >/dev/null');
    expect((await find(first.id))!.memory).toBe(64 * 1024 * 1024);
    await sh('docker rename kept kept2');
    expect((await find(first.id))!.name).toBe('kept2');
    await sh('docker network create kn >/dev/null; docker network connect kn kept2');
    expect(Object.keys((await find(first.id))!.networks)).toContain('kn');
    // No docker command: its process dies, and dockerd notices.
    await sh(`kill -9 ${first.pid}; docker wait kept2 >/dev/null`);
    expect(await find(first.id)).toMatchObject({ running: false, exitCode: 137 });
    await sh('docker start kept2 >/dev/null');
    expect(await find(first.id)).toMatchObject({ running: true });
    // A restarted dockerd has a new event log: nothing kept from before it counts.
    await sh('systemctl restart docker');
    expect(await find(first.id)).toMatchObject({ running: false });
    await sh('docker rm -f kept2 >/dev/null; docker network rm kn >/dev/null');
    expect(await find(first.id)).toBeUndefined();
  });

  it('still inspects everything else when dockerd is stopped', async () => {
    await sh('ip netns add ns1; systemctl stop docker.socket docker');
    const state = await inspectHost(lab.host('host1'));
    expect(state.docker.running).toBe(false);
    expect(state.namespaces.some((n) => n.names.includes('ns1'))).toBe(true);
    const r = await evaluateConditions(conds([{ daemon: {} }, { netns: 'ns1' }]), lab);
    expect(r.conditions.map((c) => c.ok)).toEqual([false, true]);
    expect(r.conditions[0]!.messages[0]!.zh).toMatch(/dockerd 没有在运行/);
  });
});
