/** The token buckets, on a clock of their own. */
import { describe, expect, it } from 'vitest';
import { RateLimit } from '../../../engine/server/ratelimit.ts';

describe('rate limit', () => {
  it('allows a burst, then one per interval, per key, and says how long to wait', () => {
    let now = 0;
    const limit = RateLimit.per(10, 60_000, () => now);
    for (let i = 0; i < 10; i++) expect(limit.take('1.2.3.4')).toEqual({ ok: true });
    expect(limit.take('1.2.3.4')).toEqual({ ok: false, retryAfterS: 6 });
    expect(limit.take('5.6.7.8')).toEqual({ ok: true }); // another address has its own bucket
    now += 5_999;
    expect(limit.take('1.2.3.4').ok).toBe(false);
    expect(limit.take('1.2.3.4')).toEqual({ ok: false, retryAfterS: 1 });
    now += 1;
    expect(limit.take('1.2.3.4')).toEqual({ ok: true });
    expect(limit.take('1.2.3.4').ok).toBe(false);
    now += 3_600_000; // a long wait fills the bucket, never past its size
    for (let i = 0; i < 10; i++) expect(limit.take('1.2.3.4').ok).toBe(true);
    expect(limit.take('1.2.3.4').ok).toBe(false);
  });

  it('keeps at most maxKeys buckets, forgetting full ones first', () => {
    let now = 0;
    const limit = new RateLimit({ burst: 2, everyMs: 1000, maxKeys: 100, now: () => now });
    for (let i = 0; i < 1000; i++) limit.take(`addr-${i}`);
    expect(limit.size).toBeLessThanOrEqual(100);
    // The latest keys are remembered: addr-999 has one token left, then none.
    expect(limit.take('addr-999').ok).toBe(true);
    expect(limit.take('addr-999').ok).toBe(false);
    now += 10_000;
    limit.take('fresh');
    expect(limit.take('addr-999').ok).toBe(true);
  });

  it('refuses settings that would allow nothing or everything', () => {
    expect(() => new RateLimit({ burst: 0, everyMs: 1000 })).toThrow('bad rate limit');
    expect(() => new RateLimit({ burst: 1, everyMs: 0 })).toThrow('bad rate limit');
  });
});
