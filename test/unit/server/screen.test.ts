/**
 * The screen copies kept for reconnecting (engine/server/screen.ts), in their real worker thread
 * with real xterm.js: what was written is in the snapshot, a flood never holds anything back and is
 * kept only as its newest part, and a disposed screen answers at once.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Screen, TAIL_BYTES } from '../../../engine/server/screen.ts';

const snap = (s: Screen) => new Promise<string>((resolve) => s.snapshot(resolve));

describe('screen copy in the worker', () => {
  it('never keeps a process alive: one that made a screen and took a snapshot ends by itself', () => {
    // As `dockerlab bench` does (its web part serves terminals, then returns): it used to print
    // its figures and then wait for ever on the worker's message port.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-screen-exit-'));
    const script = path.join(dir, 'screen-exit.mts');
    fs.writeFileSync(
      script,
      `import { Screen } from ${JSON.stringify(path.resolve('engine/server/screen.ts'))};
      const s = new Screen(40, 10, 100);
      s.write(Buffer.from('hello'));
      const work = setInterval(() => {}, 1000); // the program's own work, until the snapshot
      s.snapshot((text) => {
        console.log(text.includes('hello') ? 'snapshot ok' : 'snapshot empty');
        clearInterval(work);
      });`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx/esm', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.error?.message ?? '').not.toContain('ETIMEDOUT');
    expect(r.stdout).toContain('snapshot ok');
    expect(r.status).toBe(0);
  });

  it('has everything written before a snapshot, in order, after a resize too', async () => {
    const s = new Screen(40, 10, 100);
    s.write(Buffer.from('hello\r\n'));
    s.write(Buffer.from('\x1b[1mbold\x1b[0m world\r\n'));
    const text = await snap(s);
    expect(text).toMatch(/hello[^]*bold[^]*world/);
    s.resize(60, 12);
    s.write(Buffer.from('after resize'));
    expect(await snap(s)).toContain('after resize');
    expect(s.droppedBytes).toBe(0);
    s.dispose();
  });

  it('keeps a flood as its newest part: the last lines are on the screen, memory stays bounded', async () => {
    const s = new Screen(80, 24, 1000);
    const line = (i: number) => Buffer.from(`line ${String(i).padStart(7, '0')} ${'x'.repeat(60)}\r\n`);
    // 8 MB written at once, far faster than xterm.js parses: nothing waits, the middle is dropped.
    for (let i = 0; i < 110_000; i++) s.write(line(i));
    const text = await snap(s);
    expect(text).toContain('line 0109999');
    expect(text).not.toContain('line 0000000');
    expect(s.droppedBytes).toBeGreaterThan(8_000_000 - 2 * TAIL_BYTES - 600_000);
    // Later output is parsed as usual after the flood.
    s.write(Buffer.from('\x1b[2J\x1b[Hquiet again'));
    expect(await snap(s)).toContain('quiet again');
    s.dispose();
  });

  it('answers a snapshot of a disposed screen at once, empty', async () => {
    const s = new Screen(20, 5, 10);
    s.write(Buffer.from('gone'));
    s.dispose();
    expect(await snap(s)).toBe('');
  });
});
