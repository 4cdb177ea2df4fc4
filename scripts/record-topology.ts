/**
 * Records a two-host lab for the topology tests, from a REAL sandbox (never hand-written): lessons
 * 24 and 25 on both VMs (an OVS bridge with a GRE port to the other VM, a Linux bridge holding it,
 * a VXLAN link between the VMs), then both HostStates into test/fixtures/topology/two-host.json.
 *
 *   flock /tmp/dockerlab-vm.lock npx tsx scripts/record-topology.ts
 */
import { writeFileSync } from 'node:fs';
import { inspectHost } from '../engine/inspect/inspect.ts';
import { startLab } from '../engine/sandbox/lab.ts';
import { say } from '../engine/log.ts';

const script = (me: string, peer: string, net: string): string => `set -e
ovs-vsctl add-br obr0
ovs-vsctl add-port obr0 gre0 -- set interface gre0 type=gre options:remote_ip=${peer}
ip link add br0 type bridge
ip addr add 10.10.${net}.1/16 dev br0
ip link set br0 up
ip link set obr0 up
ip link set obr0 master br0
ip link add vxlan42 type vxlan id 42 remote ${peer} dstport 8472 dev eth0
ip addr add 10.42.0.${net}/24 dev vxlan42
ip link set vxlan42 up
: ${me}`;

export async function main(): Promise<number> {
  const lab = await startLab({ hosts: 2, label: 'record-topology' });
  try {
    const scripts = {
      host1: script('192.168.56.11', '192.168.56.12', '1'),
      host2: script('192.168.56.12', '192.168.56.11', '2'),
    };
    for (const [h, s] of Object.entries(scripts)) {
      const r = await lab.host(h).exec(s, { timeoutMs: 300_000 });
      if (r.code !== 0) throw new Error(`${h}: exit ${r.code}: ${r.stderr.slice(-800)}`);
    }
    const states = {
      host1: await inspectHost(lab.host('host1')),
      host2: await inspectHost(lab.host('host2')),
    };
    const file = new URL('../test/fixtures/topology/two-host.json', import.meta.url);
    writeFileSync(
      file,
      JSON.stringify(
        {
          description:
            'lessons 24 and 25 on two VMs: OVS obr0 with a GRE port to the other VM, in a Linux bridge br0; vxlan42 between the VMs',
          scripts,
          recordedAt: new Date().toISOString(),
          states,
        },
        null,
        1,
      ) + '\n',
    );
    say(`recorded ${file.pathname}`);
  } finally {
    await lab.down();
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main();
