/**
 * Evaluates a step's conditions against a lab: one snapshot per host, then each condition in
 * order, each reported on its own (partial progress) in zh and en. A condition that throws or
 * runs too long becomes a named error that says which kind and line failed, never a crash.
 */
import { inspectLab } from '../inspect/inspect.ts';
import type { DockerState, HostState, Part } from '../inspect/types.ts';
import type { Condition } from '../lessons/types.ts';
import type { Lab } from '../sandbox/api.ts';
import { type Parsed, parseCondition } from './index.ts';
import { render } from './render.ts';
import type { CheckContext, ConditionResult, StepResult } from './types.ts';

/** Passive kinds only read the snapshot; active ones probe (ping -W 2 twice, curl -m 8). */
const passiveTimeoutMs = 5_000;
const activeTimeoutMs = 45_000;

export class CheckTimeoutError extends Error {
  override name = 'CheckTimeoutError';
}
export class CheckError extends Error {
  override name = 'CheckError';
}

export interface EvalOptions {
  exec: CheckContext['exec'];
  /** The hosts' snapshots when the step began (see CheckContext.baseline). */
  baseline?: Record<string, HostState> | undefined;
  defaultHost: string;
  /** Per-condition limits; the defaults suit TCG. */
  timeoutMs?: { passive: number; active: number };
}

export async function evaluateConditions(
  conditions: Condition[],
  lab: Lab,
  opts: { baseline?: Record<string, HostState> | undefined } = {},
): Promise<StepResult> {
  const t0 = Date.now();
  const states = await inspectLab(lab, { parts: partsFor(conditions) });
  const exec: CheckContext['exec'] = (host, script, timeoutMs) =>
    lab.host(host).exec(script, { timeoutMs: timeoutMs ?? 30_000 });
  const conds = await evaluateStates(conditions, states, {
    exec,
    defaultHost: lab.hosts[0]!.name,
    baseline: opts.baseline,
  });
  return { ok: conds.every((c) => c.ok), conditions: conds, elapsedMs: Date.now() - t0 };
}

/**
 * Each condition is validated once, the first time a lab sees it (lint has already refused bad
 * ones with file:line; a lesson is loaded once and its conditions reused for every evaluation).
 */
const parsedOnce = new WeakMap<Condition, Parsed>();
function compiled(c: Condition): Parsed {
  let p = parsedOnce.get(c);
  if (!p) {
    p = parseCondition(c.kind, c.params);
    parsedOnce.set(c, p);
  }
  return p;
}

/**
 * The parts of a snapshot a step's conditions read (each kind declares `reads`): all the step
 * collects. A kind cannot read a part it did not declare (`restrict`), so none is missing.
 */
export function partsFor(conditions: Condition[]): Part[] {
  const reads = new Set<Part>();
  for (const c of conditions) {
    const k = compiled(c);
    // A condition that does not validate reads nothing; lint reports it, evaluation says so.
    if (k.ok) for (const part of k.kind.meta.reads) reads.add(part);
  }
  return [...reads].sort();
}

export class UndeclaredReadError extends Error {
  override name = 'UndeclaredReadError';
}

/** Where each part lives in a HostState; fields named nowhere here (hostname, …) are always there. */
const homes: { [K in keyof HostState]?: readonly Part[] } = {
  namespaces: ['namespaces'],
  processes: ['processes'],
  hostNs: ['hostNs'],
  iptables: ['iptables'],
  sysctl: ['sysctl'],
  sockets: ['sockets'],
  ovs: ['ovs'],
  commands: ['commands'],
};
/** Whether dockerd answered is known from any part read through its API. */
const api: readonly Part[] = ['containers', 'images', 'imageHistory', 'daemonInfo', 'networks', 'volumes'];
const dockerHomes: { [K in keyof DockerState]?: readonly Part[] } = {
  running: api,
  error: api,
  containers: ['containers'],
  images: ['images', 'imageHistory'],
  info: ['daemonInfo'],
  daemonJson: ['daemonJson'],
  networks: ['networks'],
  volumes: ['volumes'],
};

/**
 * A view of a snapshot in which reading a part the kind did not declare throws, instead of
 * quietly finding it empty (the step did not collect it). The table tests of every kind read
 * recorded snapshots through this view, so a kind that reads more than it declares fails there.
 */
export function restrict(state: HostState, reads: readonly Part[], kind: string): HostState {
  const declared = new Set(reads);
  const guard = <T extends object>(
    target: T,
    where: Partial<Record<keyof T, readonly Part[]>>,
    prefix: string,
  ) =>
    new Proxy(target, {
      get(t, key, receiver) {
        const need = where[key as keyof T];
        if (need && !need.some((p) => declared.has(p)))
          throw new UndeclaredReadError(
            `the "${kind}" kind read ${prefix}${String(key)} without declaring ${need.map((p) => `"${p}"`).join(' or ')} in its reads`,
          );
        return Reflect.get(t, key, receiver) as unknown;
      },
    });
  const docker = guard(state.docker, dockerHomes, 'docker.');
  const view = guard(state, homes, '');
  return new Proxy(view, {
    get: (t, key, r) => (key === 'docker' ? docker : (Reflect.get(t, key, r) as unknown)),
  });
}

function restrictAll(
  states: Record<string, HostState>,
  reads: readonly Part[],
  kind: string,
): Record<string, HostState> {
  return Object.fromEntries(Object.entries(states).map(([h, s]) => [h, restrict(s, reads, kind)]));
}

/** The pure part, for unit tests: conditions over given snapshots, probes through `exec`. */
export async function evaluateStates(
  conditions: Condition[],
  states: Record<string, HostState>,
  opts: EvalOptions,
): Promise<ConditionResult[]> {
  const out: ConditionResult[] = [];
  // One after another: active probes share two TCG cores, and the order is the lesson's.
  for (const c of conditions) out.push(await evaluateOne(c, states, opts));
  return out;
}

async function evaluateOne(
  c: Condition,
  states: Record<string, HostState>,
  opts: EvalOptions,
): Promise<ConditionResult> {
  const base = { kind: c.kind, params: c.params };
  const parsed = compiled(c);
  if (!parsed.ok) {
    const text = parsed.errors.join('; ');
    return {
      ...base,
      ok: false,
      messages: [{ zh: `检查写错了（第 ${c.line} 行）：${text}`, en: `bad check (line ${c.line}): ${text}` }],
    };
  }
  const { kind, params } = parsed;
  const host = parsed.host ?? opts.defaultHost;
  if (!states[host]) {
    return {
      ...base,
      ok: false,
      messages: [{ zh: `实验环境里没有主机 ${host}`, en: `the lab has no host ${host}` }],
    };
  }
  const reads = kind.meta.reads;
  const ctx: CheckContext = {
    host,
    states: restrictAll(states, reads, kind.meta.id),
    exec: opts.exec,
    baseline: kind.meta.readsBaseline
      ? opts.baseline && restrictAll(opts.baseline, reads, kind.meta.id)
      : undefined,
  };
  const limits = opts.timeoutMs ?? { passive: passiveTimeoutMs, active: activeTimeoutMs };
  const ms = kind.meta.probes?.length ? limits.active : limits.passive;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new CheckTimeoutError(`check "${c.kind}" (line ${c.line}) on ${host} timed out after ${ms} ms`),
          ),
        ms,
      );
    });
    const reports = await Promise.race([Promise.resolve(kind.check(params, ctx)), timeout]);
    if (reports.length === 0) throw new CheckError(`check "${c.kind}" (line ${c.line}) reported nothing`);
    const messages = reports.map((r) => render(kind.meta.messages, r));
    const result: ConditionResult = { ...base, ok: reports.every((r) => r.ok), messages };
    if (kind.meta.weak) result.weak = true;
    const output = reports.find((r) => r.output)?.output;
    if (output) result.output = output;
    return result;
  } catch (e) {
    const err =
      e instanceof CheckTimeoutError || e instanceof CheckError
        ? e
        : new CheckError(`check "${c.kind}" (line ${c.line}) on ${host} failed: ${(e as Error).message}`);
    return {
      ...base,
      ok: false,
      messages: [{ zh: `检查出错了：${err.message}`, en: `${err.name}: ${err.message}` }],
    };
  } finally {
    clearTimeout(timer);
  }
}
