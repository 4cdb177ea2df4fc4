/**
 * Lab checkpoints: each VM's RAM, devices and disk saved under a name inside its own qcow2 overlay
 * (QEMU internal snapshots, HMP `savevm`/`loadvm` through QMP), and brought back without restarting
 * QEMU. `dockerlab verify` takes one at the start of each step and restores it before each near-miss
 * case; the same lets a learner rewind a step later.
 *
 * The QMP socket is the lab's (`<lab>/<host>.qmp`, one client at a time; the supervisor only holds
 * it while starting or saving the lab). Take and restore checkpoints while no command runs in the
 * lab: a command or shell open across a restore would talk to a guest agent that never started it.
 * A restored guest's clock is the checkpoint's: it is set to now.
 */
import path from 'node:path';
import type { SandboxHost } from './api.ts';
import { Qmp } from './qmp.ts';

const namePattern = /^[\w-]{1,64}$/;

export class CheckpointError extends Error {}

function checkName(name: string): void {
  if (!namePattern.test(name))
    throw new CheckpointError(`a checkpoint name must be 1-64 letters, digits, - or _: "${name}"`);
}

/** Runs an HMP command on one VM; HMP answers errors as text, which is turned into a throw. */
async function hmp(qmpPath: string, commandLine: string): Promise<void> {
  const qmp = await Qmp.connect(qmpPath).catch((e: Error) => {
    throw new CheckpointError(`cannot reach QEMU at ${qmpPath}: ${e.message}; is the lab up?`);
  });
  try {
    const out = String(await qmp.command('human-monitor-command', { 'command-line': commandLine })).trim();
    // Success prints nothing; a failure prints "Error: …" (or "… not found" for a missing name).
    if (out) throw new CheckpointError(`${commandLine} on ${path.basename(qmpPath, '.qmp')}: ${out}`);
  } finally {
    qmp.close();
  }
}

/** Saves every VM of the lab in `dir` under `name` (an older checkpoint of that name is replaced). */
export async function checkpointLab(dir: string, hosts: readonly string[], name: string): Promise<void> {
  checkName(name);
  // One VM after the other: two cores, and each save writes the guest's RAM.
  for (const h of hosts) await hmp(path.join(dir, `${h}.qmp`), `savevm ${name}`);
}

/** Brings every VM of the lab back to the checkpoint `name`, then sets each guest's clock. */
export async function restoreLab(
  dir: string,
  hosts: readonly Pick<SandboxHost, 'name' | 'exec'>[],
  name: string,
): Promise<void> {
  checkName(name);
  for (const h of hosts) await hmp(path.join(dir, `${h.name}.qmp`), `loadvm ${name}`);
  await Promise.all(
    hosts.map(async (h) => {
      const r = await h.exec(`date -s @${(Date.now() / 1000).toFixed(3)} >/dev/null`, { timeoutMs: 30_000 });
      if (r.code !== 0)
        throw new CheckpointError(`setting the clock of ${h.name} after a restore failed: ${r.stderr}`);
    }),
  );
}

/** Removes the checkpoint `name` from every VM (its space in the overlays is reused). */
export async function dropCheckpoint(dir: string, hosts: readonly string[], name: string): Promise<void> {
  checkName(name);
  for (const h of hosts) await hmp(path.join(dir, `${h}.qmp`), `delvm ${name}`);
}
