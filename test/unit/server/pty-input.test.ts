import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawn, type IPty } from 'node-pty';
import { MAX_WAITING_BYTES, PtyInput } from '../../../engine/server/pty-input.ts';

/** A pty running `script` in bash, its output collected; raw mode, so every byte goes through. */
function shell(script: string): { pty: IPty; output: () => string; exited: Promise<number> } {
  const pty = spawn('bash', ['-c', `stty raw -echo; echo ready; ${script}`], { cols: 80, rows: 24 });
  let out = '';
  pty.onData((d) => (out += d));
  const exited = new Promise<number>((r) => pty.onExit(({ exitCode }) => r(exitCode)));
  return { pty, output: () => out, exited };
}

async function until(p: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!p()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `n` bytes of lower-case letters in a pattern, so order and loss show in what arrives. */
function letters(n: number, from = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = 97 + ((from + i) % 26);
  return b;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-pty-input-'));
const ptys: IPty[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const p of ptys.splice(0)) p.kill();
});

describe('PtyInput', () => {
  it('gets a paste larger than the pty takes at once into a reading program, whole and in order', async () => {
    const file = path.join(dir, 'paste');
    const size = 300_000;
    const s = shell(`head -c ${size} > ${file}; echo got-$(wc -c < ${file})`);
    ptys.push(s.pty);
    await until(() => s.output().includes('ready'), 'ready');
    const input = new PtyInput(s.pty, () => expect.fail('nothing is dropped'));
    const all = letters(size);
    for (let i = 0; i < size; i += 50_000) input.write(all.subarray(i, i + 50_000));
    expect(input.pending).toBeGreaterThan(0); // more than the pty took at once: some waited
    await until(() => s.output().includes(`got-${size}`), 'head to read it all');
    expect(fs.readFileSync(file).equals(all)).toBe(true);
    expect(input.pending).toBe(0);
  });

  it('holds at most MAX_WAITING_BYTES for a program that does not read, says so once, and does not spin', async () => {
    const file = path.join(dir, 'late');
    const s = shell(`sleep 2; head -c ${MAX_WAITING_BYTES} > ${file}; echo got-$(wc -c < ${file})`);
    ptys.push(s.pty);
    await until(() => s.output().includes('ready'), 'ready');
    let said = 0;
    const input = new PtyInput(s.pty, () => said++);
    const writes = vi.spyOn(fs, 'writeSync');
    const all = letters(3 * MAX_WAITING_BYTES);
    for (let i = 0; i < all.length; i += MAX_WAITING_BYTES)
      input.write(all.subarray(i, i + MAX_WAITING_BYTES));
    expect(input.pending).toBe(MAX_WAITING_BYTES);
    expect(said).toBe(1);
    const taken = all.length - MAX_WAITING_BYTES - input.droppedBytes; // by the kernel at once
    expect(taken).toBeGreaterThanOrEqual(0);
    expect(taken).toBeLessThan(MAX_WAITING_BYTES);
    // While `sleep` runs, tries back off to one per MAX_RETRY_MS (a loop of tries made thousands).
    const before = writes.mock.calls.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(writes.mock.calls.length - before).toBeLessThan(40);
    // Then head reads: what the kernel took, then what waited, in order; what was dropped never.
    await until(() => s.output().includes(`got-${MAX_WAITING_BYTES}`), 'head to read');
    expect(fs.readFileSync(file).equals(all.subarray(0, MAX_WAITING_BYTES))).toBe(true);
  });

  it('writes nothing once node-pty has closed the pty, though its fd number now names another file', async () => {
    const s = shell('exit 0');
    ptys.push(s.pty);
    const input = new PtyInput(s.pty, () => expect.fail('nothing is dropped as over the limit'));
    await new Promise<void>((r) => (s.pty as IPty & { on(e: 'close', l: () => void): void }).on('close', r));
    await s.exited;
    await new Promise((r) => setTimeout(r, 100)); // the fd itself is closed after 'close'
    // Files opened now take the lowest free fd numbers, the pty's among them.
    const files = Array.from({ length: 8 }, (_, i) => path.join(dir, `reused-${i}`));
    const fds = files.map((f) => fs.openSync(f, 'w'));
    try {
      expect(() => {
        input.write(letters(100_000));
        input.write(letters(10));
      }).not.toThrow();
      expect(input.pending).toBe(0);
      for (const f of files) expect(fs.statSync(f).size).toBe(0);
    } finally {
      for (const fd of fds) fs.closeSync(fd);
    }
  });
});
