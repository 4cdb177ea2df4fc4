/**
 * The lab's private Ethernet: an L2 hub on a unix socket that QEMU's `-netdev stream` connects to.
 * Every frame (u32 big-endian length + Ethernet frame) goes to every other VM of the same lab and
 * nowhere else: there is no path to the host's network stack, other labs or the internet.
 */
import net from 'node:net';
import fs from 'node:fs';

export function startHub(socketPath: string): Promise<net.Server> {
  fs.rmSync(socketPath, { force: true });
  const ports = new Set<net.Socket>();
  const server = net.createServer((port) => {
    ports.add(port);
    let pending = Buffer.alloc(0);
    port.on('data', (chunk) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      let end = 0;
      while (pending.length - end >= 4 && pending.length - end >= 4 + pending.readUInt32BE(end)) {
        end += 4 + pending.readUInt32BE(end);
      }
      if (end === 0) return;
      const frames = pending.subarray(0, end);
      pending = pending.subarray(end);
      for (const other of ports) if (other !== port && other.writable) other.write(frames);
    });
    port.on('close', () => ports.delete(port));
    port.on('error', () => ports.delete(port));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => resolve(server));
  });
}
