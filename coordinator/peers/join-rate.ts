// Join-rate limiting: token buckets, one per address and one for the whole coordinator. A bucket holds
// `burst` joins and refills at `perMinute`; a join takes one. The per-address table is bounded: past
// MAX_TRACKED_ADDRESSES the least recently used address is forgotten (it then starts with a full bucket,
// which only errs towards admitting).

/** Addresses tracked at most, so a flood from many addresses cannot grow the table without bound. */
export const MAX_TRACKED_ADDRESSES = 4096;

export interface RateLimit {
  /** Joins allowed in a burst. */
  burst: number;
  /** Sustained joins per minute. */
  perMinute: number;
}

export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly limit: RateLimit,
    now: number,
  ) {
    this.tokens = limit.burst;
    this.at = now;
  }

  private refill(now: number): void {
    const gained = ((now - this.at) * this.limit.perMinute) / 60_000;
    this.tokens = Math.min(this.limit.burst, this.tokens + gained);
    this.at = now;
  }

  /** Takes one join if there is one; otherwise the milliseconds until there is. */
  take(now: number): { ok: true } | { ok: false; retryAfterMs: number } {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - this.tokens) * 60_000) / this.limit.perMinute) };
  }

  /** Gives back a join taken by an attempt that another check refused (the overall bucket, then). */
  giveBack(): void {
    this.tokens = Math.min(this.limit.burst, this.tokens + 1);
  }

}

export class JoinRateLimiter {
  private readonly perAddress = new Map<string, TokenBucket>();
  private readonly overall: TokenBucket;

  constructor(
    private readonly addressLimit: RateLimit,
    overallLimit: RateLimit,
    now: number,
  ) {
    this.overall = new TokenBucket(overallLimit, now);
  }

  /** One join attempt from `address`: which limit refused it, if one did. */
  take(address: string, now: number): { ok: true } | { ok: false; scope: 'address' | 'overall'; retryAfterMs: number } {
    let bucket = this.perAddress.get(address);
    if (bucket) this.perAddress.delete(address); // re-inserted below: the map's order is least recently used first
    else bucket = new TokenBucket(this.addressLimit, now);
    this.perAddress.set(address, bucket);
    this.evict();
    const mine = bucket.take(now);
    if (!mine.ok) return { ok: false, scope: 'address', retryAfterMs: mine.retryAfterMs };
    const all = this.overall.take(now);
    if (!all.ok) {
      bucket.giveBack(); // the address did nothing wrong; the crowd did
      return { ok: false, scope: 'overall', retryAfterMs: all.retryAfterMs };
    }
    return { ok: true };
  }

  /** Addresses with a bucket (tests check the table stays bounded). */
  get trackedAddresses(): number {
    return this.perAddress.size;
  }

  /** One address was added at most since the last call: forgetting the least recently used one suffices. */
  private evict(): void {
    if (this.perAddress.size > MAX_TRACKED_ADDRESSES) this.perAddress.delete(this.perAddress.keys().next().value!);
  }
}
