/**
 * The screen copies kept for reconnecting (engine/server/screen.ts), in their real worker thread
 * with real xterm.js: what was written is in the snapshot, a flood never holds anything back and is
 * kept only as its newest part, and a disposed screen answers at once.
 */
import { describe, expect, it } from 'vitest';
import { Screen, TAIL_BYTES } from '../../../engine/server/screen.ts';

const snap = (s: Screen) => new Promise<string>((resolve) => s.snapshot(resolve));

describe('screen copy in the worker', () => {
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
