/**
 * The lab hub: a frame from one VM reaches every other VM of the lab, and never comes back. A VM is
 * hostile (the learner is root in it): one that floods the LAN, or sends frames no Ethernet has,
 * cannot grow the hub, which runs inside the lab's supervisor.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_ETHERNET_FRAME_BYTES, startHub } from '../../../engine/sandbox/hub.ts';
import { memoryMeter } from './memory.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerlab-hub-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function frame(payload: string | Buffer): Buffer {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(4);
  head.writeUInt32BE(body.length);
  return Buffer.concat([head, body]);
}

async function hubWithPorts(name: string, n: number) {
  const sock = path.join(dir, `${name}.sock`);
  const hub = await startHub(sock);
  const ports = await Promise.all(Array.from({ length: n }, () => connect(sock)));
  return { sock, hub, ports };
}

function connect(sock: string): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.createConnection(sock, () => resolve(s));
    s.on('error', () => s.destroy()); // the hub going away is not this test's failure
  });
}

/** Resolves once `socket` has received `bytes` bytes in all; they are kept in `into`. */
function receive(socket: net.Socket, bytes: number, into: Buffer[] = []): Promise<Buffer> {
  return new Promise((resolve) => {
    let got = 0;
    socket.on('data', (b) => {
      into.push(b);
      got += b.length;
      if (got >= bytes) resolve(Buffer.concat(into));
    });
  });
}

describe('hub', () => {
  it('floods whole frames to the other ports only, even when they arrive in pieces', async () => {
    const { hub, ports } = await hubWithPorts('pieces', 3);
    const bytes = Buffer.concat([frame('hello'), frame('world!')]);
    const sender: Buffer[] = [];
    ports[0]!.on('data', (b) => sender.push(b));
    const got = [receive(ports[1]!, bytes.length), receive(ports[2]!, bytes.length)];
    ports[0]!.write(bytes.subarray(0, 7)); // a frame split across writes
    await new Promise((r) => setTimeout(r, 30));
    ports[0]!.write(bytes.subarray(7));
    expect(await Promise.all(got)).toEqual([bytes, bytes]);
    // The sender's echo would have come in the same batch as the others' copies.
    expect(Buffer.concat(sender)).toEqual(Buffer.alloc(0));
    hub.close();
  });

  it('drops a frame longer than a jumbo frame and stays in step, however it is split', async () => {
    const { hub, ports } = await hubWithPorts('jumbo', 2);
    const jumbo = frame(Buffer.alloc(MAX_ETHERNET_FRAME_BYTES, 1));
    const stream = Buffer.concat([
      frame('before'),
      frame(Buffer.alloc(MAX_ETHERNET_FRAME_BYTES + 1, 2)),
      jumbo,
      frame('after'),
    ]);
    const want = Buffer.concat([frame('before'), jumbo, frame('after')]);
    const got = receive(ports[1]!, want.length);
    for (let at = 0; at < stream.length; at += 1000) ports[0]!.write(stream.subarray(at, at + 1000));
    expect(await got).toEqual(want);
    expect(hub.counts).toEqual({ forwarded: 3, tooLarge: 1, dropped: 0 });
    hub.close();
  });

  it('drops frames for a VM that does not read, and holds almost nothing, while another floods 1 GiB', async () => {
    const { sock, hub, ports } = await hubWithPorts('flood', 2);
    const [stalled, reader] = ports as [net.Socket, net.Socket];
    stalled.pause(); // a VM that never reads its network
    // Every frame is 4 + 1514 bytes, so a length field (1514) starts every 1518 bytes of what the
    // reader gets, drops or not: count the places where it does not.
    let received = 0;
    let outOfStep = 0;
    reader.on('data', (b) => {
      for (let at = (1518 - (received % 1518)) % 1518; at < b.length; at += 1518)
        if (at + 4 <= b.length && b.readUInt32BE(at) !== 1514) outOfStep++;
      received += b.length;
    });
    const frames = 16 * 1024 * 47; // 47 full-size (1514-byte) frames per 71 KiB write: 1.09 GiB in all
    const meter = memoryMeter();
    const flooder = spawn(
      'python3',
      [
        '-c',
        `import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
batch = (struct.pack(">I", 1514) + b"\\xee" * 1514) * 47
for _ in range(16 * 1024): s.sendall(batch)`,
        sock,
      ],
      { stdio: 'inherit' },
    );
    await new Promise((r) => flooder.once('exit', r));
    // The flooder's last bytes may still be in flight: wait for the hub to have read them all.
    while (hub.counts.forwarded < frames) await new Promise((r) => setTimeout(r, 20));
    const used = await meter.stop();
    console.log(
      `hub, 1 GiB flood to a reader and a stalled port: ${hub.counts.dropped} frames dropped, peak RSS +${used.peakRss} MiB, held +${used.held} MiB, ${used.ms} ms`,
    );
    expect(hub.counts.forwarded).toBe(frames);
    expect(hub.counts.dropped).toBeGreaterThan(frames / 2);
    expect(received).toBeGreaterThan(0);
    expect(outOfStep).toBe(0); // whole frames only, even after drops
    expect(used.held).toBeLessThan(8);
    expect(used.peakRss).toBeLessThan(256); // with garbage not yet collected; an unbounded queue: +1.1 GiB
    hub.close();
  }, 120_000);

  it('close() disconnects every port, so nothing keeps a process alive', async () => {
    const { hub, ports } = await hubWithPorts('close', 2);
    const closed = ports.map((p) => new Promise((r) => p.once('close', r)));
    hub.close();
    await Promise.all(closed);
    hub.close(); // twice is fine
  });
});
