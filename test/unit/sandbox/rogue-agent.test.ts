/**
 * The host side of the guest channel against a hostile guest (the learner is root in the VM and can
 * replace the agent): the real Mux and GuestClient over real unix sockets, with a rogue agent
 * (rogue-agent.py) in a process of its own breaking the protocol on request. After each bad thing
 * this process (the supervisor's part) is still here with bounded memory, other clients and other
 * lines still work, and the bad thing is reported: in Mux.counts, the log, and the command's error.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GuestClient, type GuestProcess } from '../../../engine/sandbox/client.ts';
import { encodeFrame, FrameType, MAX_GUEST_FRAME_BYTES } from '../../../engine/sandbox/frame.ts';
import { Mux } from '../../../engine/sandbox/mux.ts';
import { MiB, memoryMeter } from './memory.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dockerlab-rogue-'));
const script = path.join(import.meta.dirname, 'rogue-agent.py');

/** One line of the rogue's stdout (see rogue-agent.py). */
interface Report {
  listening?: string;
  blocked?: number;
  sent?: number;
  done?: string;
}

class Rogue {
  private waiters: {
    test: (r: Report) => boolean;
    resolve: (r: Report) => void;
    reject: (e: Error) => void;
  }[] = [];
  constructor(readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const report = JSON.parse(line) as Report;
      for (const w of this.waiters.filter((w) => w.test(report))) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(report);
      }
    });
    child.once('exit', (code) => {
      for (const w of this.waiters.splice(0)) w.reject(new Error(`the rogue agent exited (${code})`));
    });
  }
  /** The next report that passes `test`. */
  next(test: (r: Report) => boolean): Promise<Report> {
    return new Promise((resolve, reject) => this.waiters.push({ test, resolve, reject }));
  }
}

interface Line {
  rogue: Rogue;
  agent: net.Socket;
  mux: Mux;
  socket: string;
  client: GuestClient;
  /** What the mux told its owner through onCorrupt. */
  corrupt: string[];
}
const lines: Line[] = [];

/** A rogue agent, a Mux on its line (as vm.ts attaches one) and a client of that mux. */
async function startLine(): Promise<Line> {
  const name = `line${lines.length}`;
  const agentPath = path.join(dir, `${name}.agent`);
  const rogue = new Rogue(spawn('python3', [script, agentPath], { stdio: ['ignore', 'pipe', 'inherit'] }));
  await rogue.next((r) => r.listening !== undefined);
  const agent = net.createConnection(agentPath);
  await new Promise((r) => agent.once('connect', r));
  const mux = new Mux(agent);
  const corrupt: string[] = [];
  mux.onCorrupt((reason) => corrupt.push(reason));
  const socket = path.join(dir, `${name}.sock`);
  await mux.listen(socket);
  await mux.waitForAgent(10_000, 200);
  const line = { rogue, agent, mux, socket, client: await GuestClient.connect(socket), corrupt };
  lines.push(line);
  return line;
}

afterAll(() => {
  for (const line of lines) {
    line.client.close();
    line.mux.close();
    line.rogue.child.kill('SIGKILL');
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A mux client that speaks raw frames, to misbehave as GuestClient never would. */
async function rawClient(socket: string): Promise<net.Socket> {
  const raw = net.createConnection(socket);
  await new Promise((r) => raw.once('connect', r));
  return raw;
}

/** Waits for a process's exit and collects its stderr. */
function ending(proc: GuestProcess): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  proc.on('stderr', (b) => (stderr += b.toString()));
  return new Promise((resolve) => proc.once('exit', (s) => resolve({ code: s.code, stderr })));
}

/** Log lines the engine wrote to stderr while `work` ran. */
async function logged(work: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return lines;
}

describe('a rogue guest agent behind the real mux and client', () => {
  let main: Line;
  beforeAll(async () => {
    main = await startLine();
  });

  it('runs a command that keeps to the protocol (so the rogue speaks it)', async () => {
    expect(await main.client.exec(['echo', 'hi'])).toEqual({
      stdout: 'hi',
      stderr: '',
      code: 0,
      timedOut: false,
    });
  });

  it.each([
    ['not json', 'is not JSON'],
    ['null', 'expected object, received null'],
    [
      '{"code": "0", "signal": null, "timedOut": false}',
      'code: Invalid input: expected number, received string',
    ],
    ['{"code": 0, "signal": null}', 'timedOut: Invalid input: expected boolean'],
    ['{"code": 300, "signal": null, "timedOut": false}', 'code: Too big'],
  ])(
    'ends a command whose exit payload is %s with exit 255 and says what was wrong',
    async (payload, what) => {
      const before = main.mux.counts.badPayload;
      const r = await main.client.exec(['exit-json', payload]);
      expect(r.code).toBe(255);
      expect(r.stderr).toMatch(/the guest sent a bad exit payload on channel \d+/);
      expect(r.stderr).toContain(what);
      expect(main.mux.counts.badPayload).toBe(before + 1);
    },
  );

  it('passes a good error payload on (exit 127, as a shell says) and ends on a bad one (exit 255)', async () => {
    const good = await main.client.exec(['error-json', '{"message": "no such file: nope"}']);
    expect(good).toMatchObject({ code: 127, stderr: 'no such file: nope\n' });
    const bad = await main.client.exec(['error-json', 'null']);
    expect(bad.code).toBe(255);
    expect(bad.stderr).toMatch(/bad error payload on channel \d+: Invalid input: expected object/);
  });

  it('ignores frames on channels never opened and of unknown types, counts them, and logs each kind once', async () => {
    const before = { ...main.mux.counts };
    const log = await logged(async () => {
      const flooded = main.rogue.next((r) => r.done === 'flood');
      expect((await main.client.exec(['flood-unopened', String(MiB)])).code).toBe(0);
      await flooded;
      // Sent after the whole flood on the same line, so its answer comes after every flood frame.
      expect(await main.client.exec(['unknown-type'])).toMatchObject({ stdout: 'after', code: 0 });
    });
    expect(main.mux.counts.unknownChannel - before.unknownChannel).toBe(MiB / (32 * 1024) + 1); // its output, then its exit
    expect(main.mux.counts.unknownType - before.unknownType).toBe(1);
    const kinds = log.map((l) => (JSON.parse(l) as { kind?: string }).kind);
    expect(kinds.filter((k) => k === 'unknownChannel').length).toBeLessThanOrEqual(1); // once per mux
    expect(kinds.filter((k) => k === 'unknownType').length).toBeLessThanOrEqual(1);
  });

  it('ends a command that floods 1 GiB without waiting for credit, holding no more than a window', async () => {
    const other = await GuestClient.connect(main.socket);
    const before = main.mux.counts.overCredit;
    const start = main.agent.bytesRead;
    const meter = memoryMeter();
    const flooded = main.rogue.next((r) => r.done === 'flood');
    const [flood, echo] = await Promise.all([
      main.client.exec(['flood', String(1024 * MiB)]),
      other.exec(['echo', 'meanwhile']),
    ]);
    await flooded;
    await main.client.exec(['echo', 'barrier']); // its answer comes after the last flood frame
    const used = await meter.stop();
    const flowed = Math.round((main.agent.bytesRead - start) / MiB);
    console.log(
      `${flowed} MiB flood without credit: peak RSS +${used.peakRss} MiB, held +${used.held} MiB, ${used.ms} ms`,
    );
    expect(flowed).toBeGreaterThanOrEqual(1024);
    expect(flood.code).toBe(255);
    expect(flood.stderr).toContain('without waiting for acknowledgement (flow control)');
    // What the client took before the agent ran a window ahead of its acks.
    expect(flood.stdout).toMatch(/^x+$/);
    expect(echo.stdout).toBe('meanwhile');
    expect(main.mux.counts.overCredit).toBe(before + 1);
    expect(used.held).toBeLessThan(8);
    expect(used.peakRss).toBeLessThan(256); // with garbage not yet collected; before the checks: +3.1 GiB
    other.close();
  }, 120_000);

  it('gives no more output to a client that acknowledges bytes it never read', async () => {
    const liar = await rawClient(main.socket);
    liar.pause(); // never reads a byte
    liar.write(encodeFrame(1, FrameType.open, { argv: ['yes'] }));
    const meter = memoryMeter();
    let last: Report = {};
    // Each time the agent waits for credit, claim 4 MiB more were read: 256 MiB in all.
    for (let i = 0; i < 64; i++) {
      last = await main.rogue.next((r) => r.blocked !== undefined);
      liar.write(encodeFrame(1, FrameType.ack, { bytes: 4 * MiB }));
    }
    const used = await meter.stop();
    console.log(
      `256 MiB of lying acks: agent sent ${last.sent} bytes, peak RSS +${used.peakRss} MiB, held +${used.held} MiB, ${used.ms} ms`,
    );
    // The client's 1 MiB queue, one window, and what the two sockets' kernel buffers hold.
    expect(last.sent).toBeLessThan(4 * MiB);
    expect(used.held).toBeLessThan(8);
    expect(used.peakRss).toBeLessThan(256); // with garbage not yet collected; before the checks: +352 MiB
    liar.destroy();
    expect((await main.client.exec(['echo', 'ok'])).stdout).toBe('ok');
  }, 60_000);

  it('stops a command whose output passes maxOutputBytes, keeping what fit (default 8 MiB)', async () => {
    const r = await main.client.exec(['yes'], { maxOutputBytes: MiB });
    expect(r).toMatchObject({ code: 137, truncated: true, stdout: 'y\n'.repeat(MiB / 2) });
    expect(r.stderr).toContain('stdout passed the cap of 1048576 bytes (maxOutputBytes)');
    const byDefault = await main.client.exec(['yes']);
    expect(byDefault.truncated).toBe(true);
    expect(byDefault.stdout.length).toBe(8 * MiB);
  });

  it('ends every open channel when the agent says hello again, so no client waits forever', async () => {
    const before = main.mux.counts.agentRestarts;
    const other = await GuestClient.connect(main.socket);
    const silent = ending(main.client.open({ argv: ['silent'] }));
    const stream = other.open({ argv: ['yes'] });
    stream.on('stdout', (b) => stream.ack(b.length));
    const streaming = ending(stream);
    await new Promise((r) => stream.once('stdout', r));
    const hello = await main.client.exec(['hello']);
    for (const r of [hello, await silent, await streaming]) {
      expect(r.code).toBe(255);
      expect(r.stderr).toContain('the guest agent restarted and this command was lost; run it again');
    }
    expect(main.mux.counts.agentRestarts).toBe(before + 1);
    expect((await other.exec(['echo', 'after restart'])).stdout).toBe('after restart');
    other.close();
  });

  it('drops a client that sends a frame it cannot read, and only that client', async () => {
    const before = main.mux.counts.droppedClients;
    const bad = await rawClient(main.socket);
    bad.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 1]));
    await new Promise((r) => bad.once('close', r));
    expect(main.mux.counts.droppedClients).toBe(before + 1);
    expect((await main.client.exec(['echo', 'still here'])).stdout).toBe('still here');
  });

  it.each([0xffffffff, 2, MAX_GUEST_FRAME_BYTES + 1])(
    'drops a line that sends a frame length of %i: its commands end, the owner is told, other lines work',
    async (length) => {
      const line = await startLine();
      const silent = ending(line.client.open({ argv: ['silent'] }));
      const r = await line.client.exec(['bad-length', String(length)]);
      for (const ended of [r, await silent]) {
        expect(ended.code).toBe(255);
        expect(ended.stderr).toContain(`frame length ${length} is outside 5..${MAX_GUEST_FRAME_BYTES}`);
        expect(ended.stderr).toContain('reset the lab');
      }
      expect(line.corrupt).toEqual([expect.stringContaining(`frame length ${length}`)]);
      expect(line.mux.counts.corrupt).toBe(1);
      expect(line.mux.lost).toContain('could not be read');
      const later = await line.client.exec(['echo', 'x']);
      expect(later.code).toBe(255);
      expect(later.stderr).toContain('the channel to the lab machine is lost');
      await expect(line.mux.waitForAgent(1000)).rejects.toThrow('could not be read');
      expect((await main.client.exec(['echo', 'other line'])).stdout).toBe('other line');
    },
  );
});

describe('GuestClient against a mux socket that sends nonsense', () => {
  /** A fake mux: answers the client's first frame with `reply(channel)`. */
  async function fakeMux(reply: (channel: number) => Buffer): Promise<GuestClient> {
    const socket = path.join(dir, `fake-${Math.random().toString(36).slice(2)}.sock`);
    const server = net.createServer((c) => c.once('data', (d) => c.write(reply(d.readUInt32BE(4)))));
    await new Promise<void>((r) => server.listen(socket, r));
    server.unref();
    return GuestClient.connect(socket);
  }

  it('ends a command whose exit payload is null with exit 255 and a message', async () => {
    const client = await fakeMux((ch) => encodeFrame(ch, FrameType.exit, 'null'));
    const r = await client.exec(['true']);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(
      /the sandbox sent a bad exit payload on channel 1: Invalid input: expected object/,
    );
    client.close();
  });

  it('fails every command, and throws nowhere, on a frame length of 0xFFFFFFFF', async () => {
    const client = await fakeMux(() => Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    await expect(client.exec(['true'])).rejects.toThrow(/sent a bad frame: frame length 4294967295/);
    expect(() => client.open({ argv: ['true'] })).toThrow(/bad frame/);
  });

  it('rejects a status that is not a JSON object', async () => {
    const client = await fakeMux(() => encodeFrame(0, FrameType.pong, '[1,2]'));
    await expect(client.status()).rejects.toThrow(/bad pong payload on channel 0/);
    client.close();
  });
});
