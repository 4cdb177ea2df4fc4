/**
 * What each frame's payload may hold, one schema per frame type that carries JSON. The guest is
 * hostile (the learner is root in it and can replace the agent), so nothing it sends is used
 * before it passed one of these; the mux checks what clients send the same way.
 */
import { z } from 'zod';
import { frameTypeName, type Frame } from './frame.ts';

const byte = z.int().min(0).max(255);

/** How a command ended: `code` is 128+N when signal N killed it. */
export const ExitPayload = z.object({
  code: byte,
  signal: z.int().min(1).max(64).nullable(),
  timedOut: z.boolean(),
});
export type ExitStatus = z.infer<typeof ExitPayload>;

/**
 * A channel that could not run or went wrong. The agent sends only `message` (the command could not
 * start: shown as exit 127, like a shell's "command not found"); the mux adds `code` 255 when it
 * ends a channel itself.
 */
export const ErrorPayload = z.object({ message: z.string().max(4096), code: byte.optional() });
export type ErrorMessage = z.infer<typeof ErrorPayload>;

export const HelloPayload = z.object({ version: z.int(), boot: z.string().max(64) });
/** The agent's answer to a ping on channel 0. */
export const AgentPongPayload = z.object({ boot: z.string().max(64), time: z.number() });
/** The mux's answer to a client's ping: the VM's status as its supervisor set it. */
export const StatusPayload = z.record(z.string(), z.unknown());

export const AckPayload = z.object({ bytes: z.int().min(0) });
export const ResizePayload = z.object({ cols: z.int().min(1).max(10_000), rows: z.int().min(1).max(10_000) });
export const SignalPayload = z.object({ signal: z.int().min(1).max(64) });
export const OpenPayload = z.object({
  argv: z.array(z.string()).min(1).optional(),
  /** A guest unix socket to connect to instead of running argv (SandboxHost.ask). */
  socket: z.string().min(1).max(4096).optional(),
  pty: z.boolean().optional(),
  cols: z.int().min(1).max(10_000).optional(),
  rows: z.int().min(1).max(10_000).optional(),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().optional(),
  timeoutMs: z.int().min(0).optional(),
});
export type OpenRequest = z.infer<typeof OpenPayload>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Reads a frame's JSON payload with `schema`. Never throws; the error names the frame type, the
 * channel and what was wrong, e.g. `exit payload on channel 3: code: expected int, received null`.
 */
export function parsePayload<T>(schema: z.ZodType<T>, frame: Frame): Parsed<T> {
  const where = `${frameTypeName(frame.type)} payload on channel ${frame.channel}`;
  let value: unknown;
  try {
    value = JSON.parse(frame.payload.toString('utf8'));
  } catch {
    return { ok: false, error: `${where} is not JSON: ${preview(frame.payload)}` };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0]!;
  const path = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return { ok: false, error: `${where}: ${path}${issue.message} (got ${preview(frame.payload)})` };
}

/** The first bytes of a payload, printable, for an error message. */
function preview(payload: Buffer): string {
  const text = JSON.stringify(payload.subarray(0, 60).toString('utf8'));
  return payload.length > 60 ? `${text}…` : text;
}
