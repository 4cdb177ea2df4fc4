// The stand-in lab's SandboxHost.ask, as inspectHost uses it: the request to a unix socket on this
// machine and the answer until it closes; nothing listening, or no answer in time, is a non-zero code.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localLab } from '../../../engine/server/local-lab.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerlab-local-ask-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the local lab asks a unix socket', () => {
  const host = localLab().host('host1');

  it('sends the request, ends it, and returns the answer with code 0', async () => {
    const sock = path.join(dir, 'answer.sock');
    const server = net.createServer((c) => {
      let request = '';
      c.on('data', (d) => (request += d)).on('end', () => c.end(`got ${request.trim()}`));
    });
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      expect(await host.ask(sock, 'namespaces\n')).toEqual({
        stdout: 'got namespaces',
        stderr: '',
        code: 0,
        timedOut: false,
      });
    } finally {
      server.close();
    }
  });

  it('says why when nothing listens, and gives up at its deadline', async () => {
    const missing = path.join(dir, 'none.sock');
    const r = await host.ask(missing, 'x\n');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(missing);
    const sock = path.join(dir, 'mute.sock');
    const server = net.createServer({ allowHalfOpen: true }, (c) => c.resume());
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      expect(await host.ask(sock, 'x\n', { timeoutMs: 200 })).toMatchObject({ code: 137, timedOut: true });
    } finally {
      server.close();
    }
  });
});
