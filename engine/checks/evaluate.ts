/**
 * Evaluates a step's conditions against a lab: one snapshot per host, then each condition in
 * order, each reported on its own (partial progress) in zh and en. A condition that throws or
 * runs too long becomes a named error that says which kind and line failed, never a crash.
 */
import { inspectLab } from '../inspect/inspect.ts';
import type { HostState, Skippable } from '../inspect/types.ts';
import type { Condition } from '../lessons/types.ts';
import type { Lab } from '../sandbox/api.ts';
import { type Parsed, parseCondition } from './index.ts';
import { render } from './render.ts';
import type { CheckContext, ConditionResult, StatePart, StepResult } from './types.ts';

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
  const states = await inspectLab(lab, { skip: skippable(conditions) });
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

/** The slow parts of a snapshot that no condition of the step reads (each kind declares `reads`). */
export function skippable(conditions: Condition[]): Skippable[] {
  const reads = new Set<StatePart>();
  for (const c of conditions) {
    const k = compiled(c);
    // A condition that does not validate reads nothing; lint reports it, evaluation says so.
    if (k.ok) for (const part of k.kind.meta.reads) reads.add(part);
  }
  const skip: Skippable[] = [];
  if (!reads.has('daemonInfo')) skip.push('info');
  if (!reads.has('images') && !reads.has('imageHistory')) skip.push('images');
  if (!reads.has('imageHistory')) skip.push('history');
  return skip;
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
  const ctx: CheckContext = { host, states, exec: opts.exec, baseline: opts.baseline };
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
