/** The lab hub: a frame from one VM reaches every other VM of the lab, and never comes back. */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startHub } from '../../../engine/sandbox/hub.ts';

function frame(payload: string): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(payload.length);
  return Buffer.concat([head, Buffer.from(payload)]);
}

describe('hub', () => {
  it('floods whole frames to the other ports only, even when they arrive in pieces', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerlab-hub-'));
    const sock = path.join(dir, 'hub.sock');
    const hub = await startHub(sock);
    const ports = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<net.Socket>((resolve) => {
            const s = net.createConnection(sock, () => resolve(s));
          }),
      ),
    );
    const got = ports.map(() => [] as Buffer[]);
    ports.forEach((p, i) => p.on('data', (b) => got[i]!.push(b)));
    await new Promise((r) => setTimeout(r, 50));
    const bytes = Buffer.concat([frame('hello'), frame('world!')]);
    ports[0]!.write(bytes.subarray(0, 7)); // a frame split across writes
    await new Promise((r) => setTimeout(r, 30));
    ports[0]!.write(bytes.subarray(7));
    await new Promise((r) => setTimeout(r, 100));
    expect(Buffer.concat(got[0]!)).toEqual(Buffer.alloc(0));
    expect(Buffer.concat(got[1]!)).toEqual(bytes);
    expect(Buffer.concat(got[2]!)).toEqual(bytes);
    ports.forEach((p) => p.destroy());
    hub.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
