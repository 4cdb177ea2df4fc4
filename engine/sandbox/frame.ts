/**
 * Frames of the guest channel (see guest/agent.py) and of the per-VM mux socket, which speaks the
 * same protocol: u32 length of what follows | u32 channel | u8 type | payload. What a frame's
 * payload may hold is in payload.ts.
 */
export const FrameType = {
  open: 1,
  stdin: 2,
  stdout: 3,
  stderr: 4,
  resize: 5,
  signal: 6,
  exit: 7,
  ack: 8,
  close: 9,
  hello: 10,
  ping: 11,
  pong: 12,
  error: 13,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** A decoded frame. `type` is whatever byte arrived: compare it with FrameType, expect others. */
export interface Frame {
  channel: number;
  type: number;
  payload: Buffer;
}

const HEADER = 9;

/**
 * Longest frame the guest side may send (agent → host, and mux → client, which only relays the
 * agent's). The agent sends output in reads of 32 KiB and small JSON; 1 MiB leaves room.
 */
export const MAX_GUEST_FRAME_BYTES = 1024 * 1024;
/** Longest frame a client may send: `exec` writes all of its stdin in one frame. */
export const MAX_CLIENT_FRAME_BYTES = 16 * 1024 * 1024;

export function encodeFrame(
  channel: number,
  type: FrameType,
  payload: Buffer | string | object = Buffer.alloc(0),
) {
  const body = Buffer.isBuffer(payload)
    ? payload
    : typeof payload === 'string'
      ? Buffer.from(payload)
      : Buffer.from(JSON.stringify(payload));
  const head = Buffer.alloc(HEADER);
  head.writeUInt32BE(body.length + 5, 0);
  head.writeUInt32BE(channel, 4);
  head.writeUInt8(type, 8);
  return Buffer.concat([head, body]);
}

/**
 * What a push gave: the whole frames so far, and `error` once the stream cannot be read any further
 * (a length no frame can have: the stream is out of sync and nothing after it can be trusted).
 */
export interface Decoded {
  frames: Frame[];
  error: string | null;
}

/**
 * Splits a byte stream into frames; feed it chunks as they arrive. Never throws: a bad length is
 * an `error` in the result, and every later push returns the same error and no frames. Holds at
 * most one frame (`maxFrameBytes`) plus one chunk.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes needed before anything can be decoded: a length field, then the whole frame. */
  private needed = 4;
  private error: string | null = null;

  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Buffer): Decoded {
    if (this.error) return { frames: [], error: this.error };
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    // Chunks are joined only once a whole frame is there, so a large frame arriving in many small
    // chunks is copied once, not once per chunk.
    if (this.buffered < this.needed) return { frames: [], error: null };
    let buffer = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const frames: Frame[] = [];
    this.needed = 4;
    while (buffer.length >= 4) {
      const length = buffer.readUInt32BE(0);
      if (length < 5 || length > this.maxFrameBytes) {
        this.error = `frame length ${length} is outside 5..${this.maxFrameBytes}: the stream is out of sync`;
        this.chunks = [];
        this.buffered = 0;
        return { frames, error: this.error };
      }
      if (buffer.length < 4 + length) {
        this.needed = 4 + length;
        break;
      }
      frames.push({
        channel: buffer.readUInt32BE(4),
        type: buffer.readUInt8(8),
        payload: buffer.subarray(HEADER, 4 + length),
      });
      buffer = buffer.subarray(4 + length);
    }
    this.chunks = buffer.length ? [buffer] : [];
    this.buffered = buffer.length;
    return { frames, error: null };
  }
}

/** A frame type's name for messages and logs (`type 200` for one that has none). */
export function frameTypeName(type: number): string {
  const name = Object.entries(FrameType).find(([, t]) => t === type)?.[0];
  return name ?? `type ${type}`;
}
