/** Takes a host's snapshot in one exec round trip: inspect.py on stdin of `python3 -`. */
import { readFileSync } from 'node:fs';
import type { Lab, SandboxHost } from '../sandbox/api.ts';
import type { HostState } from './types.ts';

const script = readFileSync(new URL('./inspect.py', import.meta.url), 'utf8');
/** Generous: a full snapshot takes ~1 s under TCG; a stuck `ip` or dockerd must not hang a check. */
const timeoutMs = 20_000;

export class InspectError extends Error {
  override name = 'InspectError';
}

export async function inspectHost(host: SandboxHost): Promise<HostState> {
  const r = await host.exec('exec python3 -', { stdin: script, timeoutMs });
  if (r.timedOut) throw new InspectError(`inspecting ${host.name} timed out after ${timeoutMs} ms`);
  if (r.code !== 0)
    throw new InspectError(`inspecting ${host.name} failed (exit ${r.code}): ${r.stderr.slice(-500)}`);
  try {
    return JSON.parse(r.stdout) as HostState;
  } catch (e) {
    throw new InspectError(
      `inspecting ${host.name} printed no JSON (${(e as Error).message}): ${r.stdout.slice(0, 200)}`,
    );
  }
}

/** Every host at once (each VM has its own CPU budget). */
export async function inspectLab(lab: Lab): Promise<Record<string, HostState>> {
  const states = await Promise.all(lab.hosts.map((h) => inspectHost(h)));
  return Object.fromEntries(lab.hosts.map((h, i) => [h.name, states[i]!]));
}
