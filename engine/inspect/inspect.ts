/**
 * Takes a host's snapshot in one exec round trip: inspect.py, run by the guest's python3.
 * The script is installed once per guest boot as a module under /run/dockerlab (so python keeps
 * its bytecode and we do not send 30 KB over the channel each time); if it is missing (first
 * use, or a fresh VM) one more round trip installs it.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Lab, SandboxHost } from '../sandbox/api.ts';
import { type HostState, type Part, parts as allParts, type Skippable } from './types.ts';

const script = readFileSync(new URL('./inspect.py', import.meta.url), 'utf8');
const module = `inspect_${createHash('sha256').update(script).digest('hex').slice(0, 12)}`;
const dir = '/run/dockerlab';
/** Exit status meaning "module not installed yet" (python's own errors exit 1). */
const missing = 86;
/**
 * Generous: a snapshot takes ~1-3 s under TCG, but a lab's first one (python's cold start and the
 * resident inspector's, on every host at once) took 11 s on a machine at load 10 and passed 20 s
 * at load 15; a stuck `ip` or dockerd must still not hang a check forever.
 */
const timeoutMs = 60_000;

export class InspectError extends Error {
  override name = 'InspectError';
}

export interface InspectOptions {
  /** Collect only these parts (a step's conditions' `reads`); default: all of them. */
  parts?: readonly Part[];
  /** Leave these slow parts out of a whole snapshot (GET /info alone takes ~0.8 s under TCG). */
  skip?: Skippable[];
}

/** The parts to ask for: `parts`, or all of them but what `skip` names. */
export function partsOf(options: InspectOptions): Part[] {
  if (options.parts) return [...new Set(options.parts)].sort();
  const skip = new Set(options.skip ?? []);
  const left: Record<Skippable, Part[]> = {
    info: ['daemonInfo'],
    images: ['images', 'imageHistory'],
    history: [],
  };
  const out = new Set<Part>(allParts);
  for (const s of skip) for (const p of left[s]) out.delete(p);
  return [...out].sort();
}

export async function inspectHost(host: SandboxHost, options: InspectOptions = {}): Promise<HostState> {
  const wanted = partsOf(options);
  // Parts are fixed words ([a-zA-Z]), safe inside the script's quotes.
  const request = wanted.length === allParts.length ? '*' : wanted.join(',');
  const sock = `${dir}/${module}.sock`;
  // -S: no site module (~200 ms under TCG; the script needs only the standard library).
  const py = (call: string) =>
    `python3 -S -c 'import sys; sys.path.insert(0, "${dir}"); import ${module}; ${module}.${call}'`;
  // A resident copy (inspect.py's serve) saves python's start and imports, ~0.4 s under TCG, and
  // keeps what has not changed since the last snapshot. The guest's agent asks it itself: no
  // process starts (bash and socat cost ~110 ms under TCG).
  // None answered (first use, or the learner killed it): start one for next time, and answer this
  // one the slow way.
  const slow = [
    `[ -f ${dir}/${module}.py ] || exit ${missing}`,
    `setsid ${py(`serve("${sock}")`)} </dev/null >/dev/null 2>&1 &`,
    `exec ${py('main()')}${request === '*' ? '' : ` --parts '${request}'`}`,
  ].join('\n');
  let r = await host.ask(sock, `${request}\n`, { timeoutMs: 30_000 });
  if (r.code !== 0 || r.stdout === '') r = await host.exec(slow, { timeoutMs });
  if (r.code === missing) {
    await host.exec(
      `mkdir -p ${dir} && cat > ${dir}/${module}.py.tmp && mv ${dir}/${module}.py.tmp ${dir}/${module}.py`,
      { stdin: script, timeoutMs },
    );
    r = await host.exec(slow, { timeoutMs });
  }
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
export async function inspectLab(lab: Lab, options: InspectOptions = {}): Promise<Record<string, HostState>> {
  const states = await Promise.all(lab.hosts.map((h) => inspectHost(h, options)));
  return Object.fromEntries(lab.hosts.map((h, i) => [h.name, states[i]!]));
}
