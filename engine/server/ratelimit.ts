/**
 * Token buckets per client address, for what a stranger could repeat to guess a PIN or fill the
 * database: each key starts with `burst` tokens, one comes back every `everyMs`, and a request
 * finding none is refused with how long to wait. Memory is bounded: buckets that have filled up
 * again are forgotten (they are the same as new ones), and past `maxKeys` the oldest go first.
 */
export interface RateLimitOptions {
  /** Requests allowed at once. */
  burst: number;
  /** One more request allowed per this many milliseconds (so burst per burst × everyMs). */
  everyMs: number;
  maxKeys?: number;
  /** The clock (tests give their own). */
  now?: () => number;
}

export type Take = { ok: true } | { ok: false; retryAfterS: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimit {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly maxKeys: number;

  constructor(private readonly o: RateLimitOptions) {
    if (!(o.burst >= 1) || !(o.everyMs > 0)) throw new Error(`bad rate limit ${JSON.stringify(o)}`);
    this.now = o.now ?? Date.now;
    this.maxKeys = o.maxKeys ?? 10_000;
  }

  /** `burst` per `perMs`, e.g. `RateLimit.per(10, 60_000)` for 10 a minute. */
  static per(count: number, perMs: number, now?: () => number): RateLimit {
    return new RateLimit({ burst: count, everyMs: perMs / count, now });
  }

  take(key: string): Take {
    const now = this.now();
    const b = this.refilled(key, now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.buckets.delete(key); // re-inserted last: Map order is then least recently used first
      this.buckets.set(key, b);
      this.prune(now);
      return { ok: true };
    }
    return { ok: false, retryAfterS: Math.max(1, Math.ceil(((1 - b.tokens) * this.o.everyMs) / 1000)) };
  }

  get size(): number {
    return this.buckets.size;
  }

  private refilled(key: string, now: number): Bucket {
    const b = this.buckets.get(key) ?? { tokens: this.o.burst, at: now };
    b.tokens = Math.min(this.o.burst, b.tokens + Math.max(0, now - b.at) / this.o.everyMs);
    b.at = now;
    return b;
  }

  /** Past `maxKeys`: forget full buckets, then the least recently used, down to 90% of the cap. */
  private prune(now: number): void {
    if (this.buckets.size <= this.maxKeys) return;
    const target = Math.floor(this.maxKeys * 0.9);
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.at) / this.o.everyMs >= this.o.burst) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}
