/**
 * Frames of the guest channel (see guest/agent.py) and of the per-VM mux socket, which speaks the
 * same protocol: u32 length of what follows | u32 channel | u8 type | payload.
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

export interface Frame {
  channel: number;
  type: FrameType;
  payload: Buffer;
}

const HEADER = 9;
/** Larger frames mean a corrupt stream; the agent never sends more than 32 KiB of output at once. */
const MAX_FRAME_BYTES = 16 * 1024 * 1024;

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

/** Splits a byte stream into frames; feed it chunks as they arrive. */
export class FrameDecoder {
  private buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buffer.length >= 4) {
      const length = this.buffer.readUInt32BE(0);
      if (length < 5 || length > MAX_FRAME_BYTES) {
        throw new Error(
          `guest channel out of sync: frame length ${length}; restart the lab (dockerlab sandbox reset)`,
        );
      }
      if (this.buffer.length < 4 + length) break;
      frames.push({
        channel: this.buffer.readUInt32BE(4),
        type: this.buffer.readUInt8(8) as FrameType,
        payload: this.buffer.subarray(HEADER, 4 + length),
      });
      this.buffer = this.buffer.subarray(4 + length);
    }
    return frames;
  }
}

export function json<T>(frame: Frame): T {
  return JSON.parse(frame.payload.toString('utf8')) as T;
}
