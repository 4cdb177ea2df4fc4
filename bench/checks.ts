/**
 * Check figures, side by side in one run on one busy sandbox (10 containers, 15 network
 * namespaces, 3 bridges): a full snapshot, and a typical step's evaluation (which collects only
 * the parts its conditions read), against one bare `ip -j link` exec round trip. `bench(lab, say)`
 * is what bench/cli.ts calls; `main()` runs it on a lab of its own
 * (`node --import tsx/esm -e "await (await import('./bench/checks.ts')).main()"` under vmrun).
 */
import { evaluateConditions, partsFor } from '../engine/checks/evaluate.ts';
import { inspectHost } from '../engine/inspect/inspect.ts';
import type { Condition } from '../engine/lessons/types.ts';
import type { Lab } from '../engine/sandbox/api.ts';
import { say as sayLine } from '../engine/log.ts';
import type { Figures } from './figures.ts';
import { ms, percentile } from './stats.ts';

/** Brings a lab to the busy state; idempotent, so a reused lab is not filled twice. */
export async function makeBusy(lab: Lab): Promise<void> {
  const script = `set -e
for i in 1 2 3 4; do ip netns add bns$i 2>/dev/null || true; done
ip link show bbr0 >/dev/null 2>&1 || { ip link add bbr0 type bridge; ip link set bbr0 up; }
ip link show bbr1 >/dev/null 2>&1 || { ip link add bbr1 type bridge; ip link set bbr1 up; }
for i in 1 2 3 4; do
  ip link show bv$i >/dev/null 2>&1 || { ip link add bv$i type veth peer name bp$i; ip link set bp$i netns bns$i; ip link set bv$i master bbr$((i % 2)); }
done
for i in $(seq 1 10); do docker inspect bc$i >/dev/null 2>&1 || docker run -d --name bc$i busybox sleep 100000 >/dev/null; done`;
  const r = await lab.host('host1').exec(script, { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`making the sandbox busy failed: ${r.stderr}`);
}

/** A typical step: a few passive conditions and no probe (probes cost what their command costs). */
const step: Condition[] = [
  { kind: 'netns', params: ['bns1', 'bns2'], line: 1 },
  { kind: 'veth', params: { ends: [{ name: 'bv1' }, { name: 'bp1', netns: 'bns1' }] }, line: 2 },
  { kind: 'bridge', params: { name: 'bbr1', ports: ['bv1'] }, line: 3 },
  { kind: 'container', params: { image: 'busybox', running: true }, line: 4 },
  { kind: 'image', params: { name: 'nginx' }, line: 5 },
];

/**
 * 40 rounds: a p95 of 12 was their largest, and the guest has slow spells (all of a snapshot's
 * phases, and `ip -j link` beside it, take about twice as long for a few hundred ms).
 */
export async function bench(lab: Lab, say: (line: string) => void, rounds = 40): Promise<Figures> {
  await makeBusy(lab);
  const host = lab.host('host1');
  await inspectHost(host); // warm the page cache (python, ip) once
  const snap: number[] = [];
  const evals: number[] = [];
  const bare: number[] = [];
  const guest: number[] = [];
  const stepGuest: number[] = [];
  // Interleaved, so drift on a noisy machine hits all three alike.
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    await host.exec('ip -j link');
    bare.push(performance.now() - t);
    t = performance.now();
    const s = await inspectHost(host);
    snap.push(performance.now() - t);
    guest.push(s.elapsedMs);
    t = performance.now();
    const r = await evaluateConditions(step, lab);
    evals.push(performance.now() - t);
    const part = await inspectHost(host, { parts: partsFor(step) });
    stepGuest.push(part.elapsedMs);
    if (!r.ok)
      throw new Error(`the bench step should pass: ${JSON.stringify(r.conditions.filter((c) => !c.ok))}`);
  }
  const s = await inspectHost(host);
  const p50 = percentile(bare, 50);
  say(
    `busy sandbox: ${s.docker.containers.length} containers, ${s.namespaces.length} network namespaces, ${s.namespaces[0]!.links.filter((l) => l.kind === 'bridge').length} bridges; snapshot JSON ${(JSON.stringify(s).length / 1024).toFixed(0)} KiB`,
  );
  say(`exec 往返 / exec round trip \`ip -j link\`: p50 ${ms(p50)}, p95 ${ms(percentile(bare, 95))}`);
  say(
    `完整快照 / full snapshot: p50 ${ms(percentile(snap, 50))}, p95 ${ms(percentile(snap, 95))} (${(percentile(snap, 50) / p50).toFixed(1)}× \`ip -j link\`; in the guest p50 ${ms(percentile(guest, 50))})`,
  );
  say(
    `快照+评估一步（5 个条件，只采集 ${partsFor(step).join(', ')}）/ snapshot + evaluate a 5-condition step (collecting only those parts): p50 ${ms(percentile(evals, 50))}, p95 ${ms(percentile(evals, 95))} (${(percentile(evals, 50) / p50).toFixed(1)}× \`ip -j link\` p50, ${(percentile(evals, 95) / percentile(bare, 95)).toFixed(1)}× p95; in the guest p50 ${ms(percentile(stepGuest, 50))})`,
  );
  return { checkP95Ms: percentile(evals, 95), ipLinkP95Ms: percentile(bare, 95) };
}

export async function main(): Promise<number> {
  const { startLab } = await import('../engine/sandbox/lab.ts');
  const lab = await startLab({ label: 'bench checks' });
  try {
    await bench(lab, sayLine);
  } finally {
    await lab.down();
  }
  return 0;
}
