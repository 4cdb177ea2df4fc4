/**
 * Records the snapshots the check tables test against, from a REAL sandbox (never hand-written):
 * runs each scenario's commands in one lab, in order, then saves the host's HostState and the exec
 * results of the scenario's active probes (test/fixtures/states/probes.ts) as
 * test/fixtures/states/<scenario>.json.
 *
 *   npx tsx scripts/record-states.ts [--lab ID] [scenario ...]
 *
 * Without --lab it starts a lab of its own and stops it at the end. Scenarios build on each
 * other (docker, then bridge-ovs, ...), so recording a later one alone needs the earlier ones' state.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { inspectHost } from '../engine/inspect/inspect.ts';
import { evaluateStates } from '../engine/checks/evaluate.ts';
import type { ExecResult, Lab } from '../engine/sandbox/api.ts';
import { say } from '../engine/log.ts';
import { probes } from '../test/fixtures/states/probes.ts';
import { scenarios } from '../test/fixtures/states/scenarios.ts';

export interface Recorded {
  host: string;
  script: string;
  result: ExecResult;
}

async function record(lab: Lab, name: string, script: string, description: string): Promise<void> {
  const host = lab.host('host1');
  const t0 = Date.now();
  const r = await host.exec(`set -e\n${script}`, { timeoutMs: 600_000 });
  if (r.code !== 0)
    throw new Error(
      `scenario ${name} failed (exit ${r.code}):\n${r.stdout.slice(-1500)}\n${r.stderr.slice(-1500)}`,
    );
  const state = await inspectHost(host);
  const exec: Recorded[] = [];
  const list = probes[name] ?? [];
  if (list.length) {
    const results = await evaluateStates(
      list.map((p, i) => ({ kind: p.kind, params: p.params, line: i + 1 })),
      { host1: state },
      {
        defaultHost: 'host1',
        exec: async (h, s, timeoutMs) => {
          const result = await lab.host(h).exec(s, { timeoutMs: timeoutMs ?? 30_000 });
          exec.push({ host: h, script: s, result });
          return result;
        },
      },
    );
    for (const [i, c] of results.entries())
      say(
        `  probe ${list[i]!.kind} ${JSON.stringify(list[i]!.params)} → ${c.ok ? 'ok' : 'FAIL'}: ${c.messages.map((m) => m.en).join(' | ')}`,
      );
  }
  const file = new URL(`../test/fixtures/states/${name}.json`, import.meta.url);
  writeFileSync(
    file,
    JSON.stringify(
      { scenario: name, description, script, recordedAt: new Date().toISOString(), state, exec },
      null,
      1,
    ) + '\n',
  );
  say(
    `${name}: recorded in ${((Date.now() - t0) / 1000).toFixed(1)} s (snapshot ${state.elapsedMs} ms in the guest; errors: ${state.errors.join('; ') || 'none'})`,
  );
}

export async function main(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { lab: { type: 'string' } },
  });
  const { startLab, attachLab } = await import('../engine/sandbox/lab.ts');
  const lab = values.lab ? await attachLab(values.lab) : await startLab({ label: 'record-states' });
  try {
    for (const s of scenarios) {
      if (positionals.length && !positionals.includes(s.name)) continue;
      await record(lab, s.name, s.script, s.description);
    }
  } finally {
    if (!values.lab) await lab.down();
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
