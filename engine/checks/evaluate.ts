/**
 * Evaluates a step's conditions against a lab: one snapshot per host, then each condition in
 * order, each reported on its own (partial progress) in zh and en. A condition that throws or
 * runs too long becomes a named error that says which kind and line failed, never a crash.
 */
import { inspectLab } from '../inspect/inspect.ts';
import type { HostState, Skippable } from '../inspect/types.ts';
import type { Condition } from '../lessons/types.ts';
import type { Lab } from '../sandbox/api.ts';
import { parseCondition } from './index.ts';
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
  defaultHost: string;
  /** Per-condition limits; the defaults suit TCG. */
  timeoutMs?: { passive: number; active: number };
}

export async function evaluateConditions(conditions: Condition[], lab: Lab): Promise<StepResult> {
  const t0 = Date.now();
  const states = await inspectLab(lab, { skip: skippable(conditions) });
  const exec: CheckContext['exec'] = (host, script, timeoutMs) =>
    lab.host(host).exec(script, { timeoutMs: timeoutMs ?? 30_000 });
  const conds = await evaluateStates(conditions, states, { exec, defaultHost: lab.hosts[0]!.name });
  return { ok: conds.every((c) => c.ok), conditions: conds, elapsedMs: Date.now() - t0 };
}

/** What no condition of the step looks at: daemon info only for `daemon`, images for `image`/`container`. */
export function skippable(conditions: Condition[]): Skippable[] {
  const used = new Set(conditions.map((c) => c.kind));
  const skip: Skippable[] = [];
  if (!used.has('daemon')) skip.push('info');
  if (!used.has('image') && !used.has('container')) skip.push('images');
  if (!used.has('image')) skip.push('history');
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
  const parsed = parseCondition(c.kind, c.params);
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
  const ctx: CheckContext = {
    host,
    states,
    exec: opts.exec,
    history: (h) => Promise.resolve((states[h]?.history ?? []).map((e) => e.cmd)),
  };
  const limits = opts.timeoutMs ?? { passive: passiveTimeoutMs, active: activeTimeoutMs };
  const ms = kind.meta.active ? limits.active : limits.passive;
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
