import { describe, expect, it, vi } from 'vitest';
import { AckBatch } from '../../../engine/protocol.ts';
import { Batcher, Watermark, checkFlow, defaultFlow } from '../../../engine/server/flow.ts';

describe('flow control', () => {
  it('pauses above the high watermark and resumes only below the low one', () => {
    const calls: boolean[] = [];
    const w = new Watermark({ ...defaultFlow, highWatermarkBytes: 100, lowWatermarkBytes: 20 }, (p) =>
      calls.push(p),
    );
    w.sent('viewer', 90);
    expect(calls).toEqual([]);
    w.sent('viewer', 20);
    expect(calls).toEqual([true]);
    w.done('viewer', 50); // 60 left: still above low
    expect(calls).toEqual([true]);
    w.done('viewer', 45);
    expect(calls).toEqual([true, false]);
  });

  it('lets the slowest consumer decide, and forgets a consumer that left', () => {
    const calls: boolean[] = [];
    const w = new Watermark({ ...defaultFlow, highWatermarkBytes: 100, lowWatermarkBytes: 20 }, (p) =>
      calls.push(p),
    );
    w.sent('screen', 10);
    w.sent('viewer', 150);
    w.done('screen', 10);
    expect(w.isPaused).toBe(true);
    w.forget('viewer');
    expect(calls).toEqual([true, false]);
  });

  it('clamps an ack to what was sent: acking ahead buys no room, and a forgotten consumer stays forgotten', () => {
    const calls: boolean[] = [];
    const w = new Watermark({ ...defaultFlow, highWatermarkBytes: 100, lowWatermarkBytes: 20 }, (p) =>
      calls.push(p),
    );
    w.sent('viewer', 10);
    w.done('viewer', 1_000_000); // a lie: far more than was sent
    w.sent('viewer', 101);
    expect(calls).toEqual([true]); // the lie did not leave 999 990 bytes of credit
    w.forget('viewer');
    w.done('viewer', 50); // a late ack for a socket that is gone
    w.sent('socket#2', 101);
    expect(calls).toEqual([true, false, true]);
  });

  it('sends the first chunk after quiet at once, joins a burst, and sends at maxBatchBytes', async () => {
    const sent: number[] = [];
    const batcher = new Batcher({ ...defaultFlow, flushDelayMs: 5, maxBatchBytes: 10 }, (d) =>
      sent.push(d.length),
    );
    batcher.push(Buffer.alloc(1)); // after a quiet spell: at once (keystroke echo)
    batcher.push(Buffer.alloc(3));
    batcher.push(Buffer.alloc(3));
    expect(sent).toEqual([1]);
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toEqual([1, 6]);
    batcher.push(Buffer.alloc(12));
    expect(sent).toEqual([1, 6, 12]);
    batcher.dispose();
  });

  it("sends a keystroke's echo at once even right after a send, and joins what follows it", () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const sent: number[] = [];
      const batcher = new Batcher({ ...defaultFlow, flushDelayMs: 10, maxBatchBytes: 100 }, (d) =>
        sent.push(d.length),
      );
      batcher.push(Buffer.alloc(1)); // quiet: at once
      batcher.push(Buffer.alloc(2)); // right after a send: waits to be joined
      expect(sent).toEqual([1]);
      batcher.expectEcho(); // a key was typed: what comes next is its echo
      batcher.push(Buffer.alloc(1));
      expect(sent).toEqual([1, 3]); // the echo, with what was waiting before it
      vi.advanceTimersByTime(10);
      batcher.push(Buffer.alloc(1)); // after a quiet spell: at once
      batcher.push(Buffer.alloc(4)); // a burst long after the key waits again
      expect(sent).toEqual([1, 3, 1]);
      vi.advanceTimersByTime(10);
      expect(sent).toEqual([1, 3, 1, 4]);

      // The rest of a redraw comes between a key and its echo: both go at once.
      vi.advanceTimersByTime(10);
      batcher.push(Buffer.alloc(1));
      batcher.expectEcho();
      batcher.expectEcho(); // two keys, one echo: the flag is not a counter
      batcher.push(Buffer.alloc(7)); // the redraw's rest takes the flag
      vi.advanceTimersByTime(1);
      batcher.push(Buffer.alloc(2)); // the echo, a moment later
      expect(sent).toEqual([1, 3, 1, 4, 1, 7, 2]);

      // A slow host's echo, later than flushDelayMs while output streams: still at once.
      vi.advanceTimersByTime(100);
      batcher.push(Buffer.alloc(1));
      batcher.expectEcho();
      vi.advanceTimersByTime(50);
      batcher.push(Buffer.alloc(5)); // output from before the key, just now read
      batcher.push(Buffer.alloc(3)); // waits, the flag taken and the moment gone
      expect(sent).toEqual([1, 3, 1, 4, 1, 7, 2, 1, 5]);
      vi.advanceTimersByTime(10);
      expect(sent).toEqual([1, 3, 1, 4, 1, 7, 2, 1, 5, 3]);
      batcher.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses watermarks the xterm.js guide warns against', () => {
    expect(() => checkFlow({ ...defaultFlow, highWatermarkBytes: 600 * 1024 })).toThrow('500 KB');
    expect(() => checkFlow({ ...defaultFlow, lowWatermarkBytes: defaultFlow.highWatermarkBytes })).toThrow();
  });

  it("acks a client's rendered bytes in batches: at once from everyBytes, else once after delayMs of quiet", () => {
    vi.useFakeTimers();
    try {
      const acks: number[] = [];
      const batch = new AckBatch((n) => acks.push(n), 1000, 20);
      batch.rendered(1); // a keystroke's echo
      batch.rendered(2);
      vi.advanceTimersByTime(19);
      expect(acks).toEqual([]); // each render restarts the wait
      vi.advanceTimersByTime(1);
      expect(acks).toEqual([3]);
      batch.rendered(600);
      batch.rendered(600); // over everyBytes: no waiting
      expect(acks).toEqual([3, 1200]);
      vi.advanceTimersByTime(100);
      expect(acks).toEqual([3, 1200]); // nothing owed, nothing sent
      batch.rendered(5);
      batch.reset(); // its socket closed: the new one owes nothing of it
      vi.advanceTimersByTime(100);
      expect(acks).toEqual([3, 1200]);
      // Below the server's low watermark it still arrives: a paused shell is always resumed.
      batch.rendered(64 * 1024 - 1);
      expect(acks).toEqual([3, 1200, 64 * 1024 - 1]);
    } finally {
      vi.useRealTimers();
    }
  });
});
