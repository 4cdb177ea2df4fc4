/**
 * The contract of a check kind, shaped like an ESLint rule: `meta` (id, docs, parameter schema,
 * messages in zh-CN and en) and one function over the inspected state that reports findings.
 */
import type { ZodType } from 'zod';
import type { ExecResult } from '../sandbox/api.ts';
import type { HostState } from '../inspect/types.ts';

export interface Text {
  zh: string;
  en: string;
}

export interface CheckMeta<P> {
  /** The key used in a lesson's ```check block, e.g. `veth`. */
  id: string;
  description: Text;
  /** Validates the parameters an instructor wrote; errors become lint errors with file and line. */
  schema: ZodType<P>;
  /** Message templates; `{name}` placeholders are filled from a report's `data`. */
  messages: Record<string, Text>;
  /** A YAML example for the check reference, as it would appear in a ```check block. */
  example: string;
  /** True for kinds that run a probe in the guest (reach, http, file, shell) rather than read the snapshot. */
  active?: boolean;
  /** True for kinds that judge what the learner typed, not the resulting state (weaker evidence). */
  weak?: boolean;
}

export interface Report {
  ok: boolean;
  messageId: string;
  /** Placeholder values; a `Text` value is rendered in the message's own language (e.g. "主机" / "the host"). */
  data?: Record<string, string | number | Text>;
}

export interface CheckContext {
  /** The host this condition is about (`host:` parameter, default the lab's first host). */
  host: string;
  /** Snapshot of every host of the lab, taken once per evaluation. */
  states: Record<string, HostState>;
  /** Runs a probe in a host; only for `active` kinds. */
  exec(host: string, script: string, timeoutMs?: number): Promise<ExecResult>;
  /** The learner's shell history on that host (commands, oldest first). */
  history(host: string): Promise<string[]>;
}

export interface CheckKind<P = unknown> {
  meta: CheckMeta<P>;
  check(params: P, ctx: CheckContext): Report[] | Promise<Report[]>;
}

/** One condition of a step's check, after evaluation. */
export interface ConditionResult {
  kind: string;
  /** The condition as the instructor wrote it, for display. */
  params: unknown;
  ok: boolean;
  /** Each report rendered in both languages. */
  messages: Text[];
  weak?: boolean;
}

export interface StepResult {
  ok: boolean;
  conditions: ConditionResult[];
  /** Milliseconds spent inspecting and evaluating. */
  elapsedMs: number;
}
