/**
 * Records labs for the topology tests, from a REAL sandbox (never hand-written), into
 * test/fixtures/topology/:
 *
 * - `two-host`: lessons 24 and 25 as one script on both VMs (an OVS bridge with a GRE port to the
 *   other VM, a Linux bridge holding it, a VXLAN link between the VMs) → two-host.json;
 * - a lesson id (`16-container-veth-bridge`, `23-cross-host-bridge`, ...): a lab of the lesson's
 *   size, its setup, then each step's reference solution through the lessons' runner (what verify
 *   and a skip run), the lab's state taken after the setup and after each step → <lesson id>.json.
 *   States are taken as the panel takes them (no daemon info, no image history).
 *
 *   vmrun npx tsx scripts/record-topology.ts [two-host] [LESSON-ID ...]
 */
import { writeFileSync } from 'node:fs';
import { inspectHost, inspectLab } from '../engine/inspect/inspect.ts';
import type { HostState } from '../engine/inspect/types.ts';
import { loadLesson } from '../engine/lessons/load.ts';
import { describeFailure, runScripts } from '../engine/lessons/run.ts';
import { startLab } from '../engine/sandbox/lab.ts';
import { say } from '../engine/log.ts';

/** A lesson recorded step by step: `moments[0]` after the setup, `moments[i + 1]` after step i. */
export interface LessonRecording {
  lessonId: string;
  recordedAt: string;
  moments: { after: string; scripts: Record<string, string>; states: Record<string, HostState> }[];
}

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

const fixture = (name: string) => new URL(`../test/fixtures/topology/${name}.json`, import.meta.url);

async function twoHost(): Promise<void> {
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
    writeFileSync(
      fixture('two-host'),
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
    say(`recorded ${fixture('two-host').pathname}`);
  } finally {
    await lab.down();
  }
}

async function lessonSteps(lessonId: string): Promise<void> {
  const lesson = await loadLesson(`lessons/${lessonId}.md`);
  const lab = await startLab({ hosts: lesson.hosts, label: `record-topology ${lessonId}` });
  try {
    const take = () => inspectLab(lab, { skip: ['info', 'history'] });
    const setup = await runScripts(lab, lesson.setup, { mode: 'strict', as: 'script' });
    if (setup.failure) throw new Error(`${lessonId} setup: ${describeFailure(setup.failure).en}`);
    const rec: LessonRecording = {
      lessonId,
      recordedAt: new Date().toISOString(),
      moments: [{ after: 'setup', scripts: lesson.setup, states: await take() }],
    };
    for (const step of lesson.steps) {
      const t0 = Date.now();
      const r = await runScripts(lab, step.solution, { mode: 'strict', as: 'typed' });
      if (r.failure) throw new Error(`${lessonId} step ${step.index + 1}: ${describeFailure(r.failure).en}`);
      rec.moments.push({
        after: `step ${step.index + 1}: ${step.title}`,
        scripts: step.solution,
        states: await take(),
      });
      say(`${lessonId} step ${step.index + 1} recorded (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    }
    writeFileSync(fixture(lessonId), JSON.stringify(rec, null, 1) + '\n');
    say(`recorded ${fixture(lessonId).pathname}`);
  } finally {
    await lab.down();
  }
}

export async function main(args: string[]): Promise<number> {
  for (const what of args.length ? args : ['two-host']) {
    if (what === 'two-host') await twoHost();
    else await lessonSteps(what);
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
