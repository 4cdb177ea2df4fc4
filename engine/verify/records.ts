/**
 * The states near-miss cases produced in a real lab, kept so the next `verify` judges them again
 * without running them again. A case's state depends only on what made it: the VM image, the
 * kernel's command line, the lesson's hosts, setup and solutions up to the step, the case's own
 * commands, the runner and the inspector. All of that is the record's key; the
 * check is not: every run evaluates the current check on the recorded state, so a change to a
 * kind or a ```check block is judged at once, and a change to anything that makes the state sends
 * the case back to the VM. A record holds every exec and ask the check made (the inspector's
 * snapshot, its probes) with its result, and the step's baseline; replaying answers them the same way.
 * A check that asks for an exec the record lacks (a new probe) cannot be replayed: the case runs
 * in the VM.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { z } from 'zod';
import type { ExecOptions, ExecResult, Lab, SandboxHost } from '../sandbox/api.ts';
import type { HostState } from '../inspect/types.ts';

const ExecRecord = z.object({
  host: z.string(),
  /** A bash script (SandboxHost.exec), or with `ask` the guest socket that `stdin` was sent to. */
  command: z.string(),
  ask: z.literal(true).optional(),
  stdin: z.string().optional(),
  result: z.object({
    stdout: z.string(),
    stderr: z.string(),
    code: z.number(),
    timedOut: z.boolean(),
    truncated: z.literal(true).optional(),
  }),
});
type ExecRecord = z.infer<typeof ExecRecord>;

const CaseRecord = z.object({
  /** When the case ran in the VM (ISO time). */
  at: z.string(),
  /** The lesson and the case's line, for a person reading the folder. */
  where: z.string(),
  /** The step's baseline the check was evaluated against (CheckContext.baseline). */
  baseline: z.record(z.string(), z.unknown()).optional(),
  execs: z.array(ExecRecord),
});
export type CaseRecord = z.infer<typeof CaseRecord>;

/** Thrown by a replaying lab for an exec its record does not hold. */
export class NotRecorded extends Error {}

export interface CaseRecords {
  get(key: string): CaseRecord | null;
  put(key: string, record: CaseRecord): void;
}

export function recordsDir(): string {
  return path.join(process.env.DOCKERLAB_DATA ?? path.join(os.homedir(), '.dockerlab'), 'case-states');
}

/** Records as gzipped JSON files, one per key; an unreadable or malformed one counts as absent. */
export function fileRecords(dir = recordsDir()): CaseRecords {
  const file = (key: string) => path.join(dir, `${key}.json.gz`);
  return {
    get(key) {
      try {
        const parsed = CaseRecord.safeParse(
          JSON.parse(zlib.gunzipSync(fs.readFileSync(file(key))).toString()),
        );
        return parsed.success ? parsed.data : null;
      } catch {
        return null;
      }
    },
    put(key, record) {
      try {
        fs.mkdirSync(dir, { recursive: true });
        const tmp = `${file(key)}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, zlib.gzipSync(JSON.stringify(record)));
        fs.renameSync(tmp, file(key));
      } catch {
        // a read-only home: the next run runs the case in the VM again
      }
    },
  };
}

const repo = path.resolve(import.meta.dirname, '../..');
/**
 * The engine's files that shape what a case leaves in the lab (how its commands run, the restore
 * before it) or what the guest's inspector prints. The host side of a check (inspect.ts, the kinds)
 * runs again on every replay, so it is not part of the key: a command it sends differently finds
 * no recorded answer and the case runs in the lab. Nor are guest/identity.sh and restore.pl: a host's identity is
 * its slot's (identity.ts: host1 is 192.168.56.11 in every lab), made once into the slot's snapshot.
 */
const stateMakers = ['engine/lessons/run.ts', 'engine/sandbox/checkpoint.ts', 'engine/inspect/inspect.py'];

/**
 * Everything besides the lesson that makes a case's state: the VM image's inputs, the kernel's
 * command line (root disk, interface names, mitigations, AppArmor, the idle options), the guest's
 * memory and CPUs, and the engine files above. Not QEMU's devices or how it runs TCG (the CPU model,
 * the translation cache, the balloon): they change the emulator's speed and the host's memory, not
 * what a lesson's commands leave.
 */
export async function environmentKey(): Promise<string> {
  const { inputsHash } = await import('../sandbox/image.ts');
  const { KERNEL_CMDLINE } = await import('../sandbox/vm.ts');
  const { defaults } = await import('../sandbox/lab.ts');
  const h = crypto.createHash('sha256');
  h.update(`image=${inputsHash()}\0kernel=${KERNEL_CMDLINE}\0`);
  // The guest's size labs really get (set by the environment or lab.ts's defaults). 1024 MiB and
  // 2 CPUs hash as '' (as when only the environment was read), so the records made with them stay.
  const memory = defaults.memoryMb === 1024 ? '' : defaults.memoryMb;
  const cpus = defaults.cpus === 2 ? '' : defaults.cpus;
  h.update(`memory=${memory}\0cpus=${cpus}\0`);
  for (const f of stateMakers)
    h.update(f)
      .update('\0')
      .update(fs.readFileSync(path.join(repo, f)))
      .update('\0');
  return h.digest('hex');
}

/** A case's key: the environment, the step's start (stepStarts), and the case's role and commands. */
export function caseKey(
  environment: string,
  stepStart: string,
  c: { role: string; scripts: unknown },
): string {
  return crypto
    .createHash('sha256')
    .update(environment)
    .update('\0')
    .update(stepStart)
    .update('\0')
    .update(JSON.stringify([c.role, c.scripts]))
    .digest('hex')
    .slice(0, 32);
}

const stdinText = (s: ExecOptions['stdin']): string | undefined =>
  s === undefined ? undefined : typeof s === 'string' ? s : Buffer.from(s).toString('base64');

/** One call a check makes of a host: SandboxHost.exec, or SandboxHost.ask (`ask` set). */
interface Call {
  host: string;
  command: string;
  ask?: true;
  options?: ExecOptions;
}

/** `lab` with every host's exec and ask made through `call`. */
function withCalls(lab: Lab, call: (c: Call) => Promise<ExecResult>): Lab {
  const hosts = lab.hosts.map((h): SandboxHost => ({
    name: h.name,
    address: h.address,
    shellCommand: () => h.shellCommand(),
    exec: (command, options) => call({ host: h.name, command, options }),
    ask: (socket, request, options) =>
      call({ host: h.name, command: socket, ask: true, options: { ...options, stdin: request } }),
  }));
  return {
    ...lab,
    hosts,
    host: (name) => {
      const h = hosts.find((x) => x.name === name);
      if (!h) return lab.host(name); // throws the lab's own "no such host"
      return h;
    },
  };
}

/** The lab, recording every exec made through it; `take()` returns them and starts a new list. */
export function recording(lab: Lab): { lab: Lab; take(): ExecRecord[] } {
  let execs: ExecRecord[] = [];
  const wrapped = withCalls(lab, async ({ host, command, ask, options }) => {
    const h = lab.host(host);
    const result = ask
      ? await h.ask(command, String(options?.stdin ?? ''), options)
      : await h.exec(command, options);
    const { stdout, stderr, code, timedOut, truncated } = result;
    execs.push({
      host,
      command,
      ...(ask ? { ask } : {}),
      stdin: stdinText(options?.stdin),
      result: { stdout, stderr, code, timedOut, ...(truncated ? { truncated } : {}) },
    });
    return result;
  });
  return {
    lab: wrapped,
    take: () => {
      const out = execs;
      execs = [];
      return out;
    },
  };
}

/**
 * A lab whose execs and asks are answered from `record`, in the order they were made for each
 * (host, command, ask, stdin); the last answer repeats. Nothing reaches the real VMs. One the
 * record cannot answer throws NotRecorded and is listed in `missing`: a check's kinds turn an
 * exec's error into a failed condition, so only the list tells the caller the verdict is not one.
 */
export function replaying(lab: Lab, record: CaseRecord): { lab: Lab; missing: string[] } {
  const queues = new Map<string, ExecResult[]>();
  const id = (host: string, command: string, ask: boolean, stdin?: string) =>
    JSON.stringify([host, command, ask, stdin ?? null]);
  for (const e of record.execs) {
    const k = id(e.host, e.command, e.ask ?? false, e.stdin);
    queues.set(k, [...(queues.get(k) ?? []), e.result]);
  }
  const used = new Map<string, number>();
  const missing: string[] = [];
  const replay = withCalls(lab, async ({ host, command, ask, options }) => {
    const k = id(host, command, ask ?? false, stdinText(options?.stdin));
    const answers = queues.get(k);
    if (!answers) {
      const what = `no recorded answer on ${host} for: ${command.slice(0, 120)}`;
      missing.push(what);
      throw new NotRecorded(what);
    }
    const i = used.get(k) ?? 0;
    used.set(k, i + 1);
    return { ...answers[Math.min(i, answers.length - 1)]! };
  });
  return { lab: replay, missing };
}

export const baselineOf = (record: CaseRecord): Record<string, HostState> | undefined =>
  record.baseline as Record<string, HostState> | undefined;
