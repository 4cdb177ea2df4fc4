/**
 * The lab's private Ethernet: an L2 hub on a unix socket that QEMU's `-netdev stream` connects to.
 * Every frame (u32 big-endian length + Ethernet frame) goes to every other VM of the same lab and
 * nowhere else: there is no path to the host's network stack, other labs or the internet.
 *
 * A VM may flood the LAN (the learner is root in it): like a switch, the hub drops what it cannot
 * pass on rather than queue it. It holds at most one frame per port while reading, and at most
 * PORT_QUEUE_BYTES (plus one batch) unsent per port.
 */
import net from 'node:net';
import fs from 'node:fs';
import { logger } from '../log.ts';

const log = logger('hub');

/** Longest frame passed on: a jumbo frame (9000-byte MTU, Ethernet header, VLAN tag), as switches take. */
export const MAX_ETHERNET_FRAME_BYTES = 9216;
/** Unsent bytes for one port above which frames for it are dropped: its VM is not keeping up. */
export const PORT_QUEUE_BYTES = 256 * 1024;

export interface HubCounts {
  /** Frames passed on (once per frame, whatever the number of ports). */
  forwarded: number;
  /** Frames longer than MAX_ETHERNET_FRAME_BYTES, dropped. */
  tooLarge: number;
  /** Frames not passed to a port whose queue was full (counted once per port). */
  dropped: number;
}

export interface Hub {
  readonly counts: HubCounts;
  /** Stops listening and disconnects every port. Safe to call twice. */
  close(): void;
}

export function startHub(socketPath: string): Promise<Hub> {
  fs.rmSync(socketPath, { force: true });
  const ports = new Set<net.Socket>();
  const counts: HubCounts = { forwarded: 0, tooLarge: 0, dropped: 0 };
  const logged = new Set<keyof HubCounts>();
  const note = (kind: 'tooLarge' | 'dropped', n: number, detail: string) => {
    counts[kind] += n;
    if (logged.has(kind)) return;
    logged.add(kind);
    log.warn(`dropped ${detail} (later drops are only counted)`, { kind });
  };
  const server = net.createServer((port) => {
    ports.add(port);
    const read = frameReader(
      (frames, n) => {
        counts.forwarded += n;
        for (const other of ports) {
          if (other === port || !other.writable) continue;
          if (other.writableLength > PORT_QUEUE_BYTES)
            note('dropped', n, 'frames for a port whose queue is full');
          else other.write(frames);
        }
      },
      (length) => note('tooLarge', 1, `a ${length}-byte frame (more than ${MAX_ETHERNET_FRAME_BYTES})`),
    );
    port.on('data', read);
    port.on('close', () => ports.delete(port));
    port.on('error', () => port.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () =>
      resolve({
        counts,
        close() {
          server.close();
          for (const port of ports) port.destroy();
        },
      }),
    );
  });
}

/**
 * Turns a port's byte stream into batches of whole frames (`frames` holds `n` of them, with their
 * length fields, ready to write). Skips frames that are too large without holding them.
 */
function frameReader(
  onFrames: (frames: Buffer, n: number) => void,
  onTooLarge: (length: number) => void,
): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let skip = 0; // bytes still to drop of a frame that is too large
  return (chunk) => {
    if (skip) {
      const n = Math.min(skip, chunk.length);
      skip -= n;
      chunk = chunk.subarray(n);
    }
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    const batch: Buffer[] = [];
    while (pending.length >= 4) {
      const length = pending.readUInt32BE(0);
      if (length > MAX_ETHERNET_FRAME_BYTES) {
        onTooLarge(length);
        const n = Math.min(length, pending.length - 4);
        skip = length - n;
        pending = pending.subarray(4 + n);
        continue;
      }
      if (pending.length < 4 + length) break;
      batch.push(pending.subarray(0, 4 + length));
      pending = pending.subarray(4 + length);
    }
    // A remainder is less than one frame: copied, so that it does not keep a whole chunk alive.
    if (pending.length) pending = Buffer.from(pending);
    // Copied as well: a queued frame must not keep the whole chunk it came in alive.
    if (batch.length) onFrames(Buffer.concat(batch), batch.length);
  };
}
