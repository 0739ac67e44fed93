// A peer dropped for misbehaviour (results rejected again and again, invalid messages, a signaling flood) may
// not rejoin at once with a fresh peer id and clean counters. Strikes are kept per (address, token): a new
// peer id resets nothing, and an honest peer with another token behind the same address is not blocked. Each
// strike doubles the wait (from `baseMs` up to `maxMs`); an entry is forgotten `forgetMs` after its last
// strike, and at most MAX_ENTRIES are kept (the least recently struck first out), so memory stays bounded.
import { createHash } from 'node:crypto';

export const MAX_ENTRIES = 4096;

export interface BackoffPolicy {
  /** Wait after the first strike. */
  baseMs: number;
  /** Longest wait, however many strikes. */
  maxMs: number;
  /** A key with no strike for this long is forgotten (its next strike is a first one again). */
  forgetMs: number;
}

interface Strikes {
  count: number;
  lastAt: number;
  until: number;
}

export class MisbehaviourBackoff {
  private readonly entries = new Map<string, Strikes>();

  constructor(private readonly policy: BackoffPolicy) {}

  /** Milliseconds this (address, token) must still wait before a join is accepted; 0 if none. */
  waitFor(address: string, token: string, now: number): number {
    const key = keyOf(address, token);
    const s = this.entries.get(key);
    if (!s) return 0;
    if (now - s.lastAt > this.policy.forgetMs) {
      this.entries.delete(key);
      return 0;
    }
    return Math.max(0, s.until - now);
  }

  /** Records a strike; returns the wait it imposes. */
  strike(address: string, token: string, now: number): number {
    const key = keyOf(address, token);
    const old = this.entries.get(key);
    const count = old && now - old.lastAt <= this.policy.forgetMs ? old.count + 1 : 1;
    const waitMs = Math.min(this.policy.maxMs, this.policy.baseMs * 2 ** Math.min(count - 1, 30));
    this.entries.delete(key);
    this.entries.set(key, { count, lastAt: now, until: now + waitMs });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return waitMs;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The token enters the key hashed: the table never holds a token, even a wrong one. */
function keyOf(address: string, token: string): string {
  return `${address} ${createHash('sha256').update(token).digest('base64url').slice(0, 22)}`;
}
