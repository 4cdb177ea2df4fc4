/**
 * The contract of a check kind, shaped like an ESLint rule: `meta` (id, docs, parameter schema,
 * messages in zh-CN and en) and one function over the inspected state that reports findings.
 */
import type { ZodType } from 'zod';
import type { ExecResult } from '../sandbox/api.ts';
import type { HostState, Part } from '../inspect/types.ts';

export interface Text {
  zh: string;
  en: string;
}

/** Parts of a HostState (engine/inspect/types.ts) a kind may read. */
export type StatePart = Part;

/** Probes an active kind runs in a guest. */
export type ProbeKind = 'ping' | 'tcp' | 'resolve' | 'http' | 'file' | 'shell' | 'hostname' | 'sysctl';

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
  /** The parts of a host's snapshot the kind looks at; the inspector may leave out what no condition reads. */
  reads: readonly StatePart[];
  /** The probes it runs in the guest (an "active" kind); none for kinds that only read the snapshot. */
  probes?: readonly ProbeKind[];
  /** True for kinds that judge what the learner typed, not the resulting state (weaker evidence). */
  weak?: boolean;
  /**
   * True for kinds that compare with the hosts' snapshots at the step's start (CheckContext.baseline);
   * only these are given it, so a verifier may skip taking one for a step whose kinds all do without.
   */
  readsBaseline?: boolean;
}

export interface Report {
  ok: boolean;
  messageId: string;
  /** A probe's raw result, passed up to ConditionResult.output. */
  output?: { code: number; stdout: string; stderr: string };
  /** Placeholder values; a `Text` value is rendered in the message's own language (e.g. "主机" / "the host"). */
  data?: Record<string, string | number | Text>;
}

export interface CheckContext {
  /** The host this condition is about (`host:` parameter, default the lab's first host). */
  host: string;
  /** Snapshot of every host of the lab, taken once per evaluation. */
  states: Record<string, HostState>;
  /**
   * Snapshot of every host when the step began, when the caller kept one (the server and verify
   * take it at the step's start). Kinds use it to tell "the same object, changed" from "another
   * object under the same name": a restarted container from a recreated one, removed from renamed.
   */
  baseline?: Record<string, HostState> | undefined;
  /** Runs a probe in a host; only for kinds that declare `probes`. */
  exec(host: string, script: string, timeoutMs?: number): Promise<ExecResult>;
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
  /** What a probe printed, for `dockerlab verify --show-output` (a `shell` check's output and exit status). */
  output?: { code: number; stdout: string; stderr: string };
}

export interface StepResult {
  ok: boolean;
  conditions: ConditionResult[];
  /** Milliseconds spent inspecting and evaluating. */
  elapsedMs: number;
}
