// Refuses a result whose payload repeats, byte for byte, one seen before: a peer replaying an old (or
// another peer's) result would otherwise be counted as fresh work, its stale gradient applied and the
// batches it was assigned marked trained. Replayed batch ids need no guard here: the collector accepts only
// exactly the batch ids assigned to that peer in that round (collector.ts, 'wrong-batches').
//
// A SHA-256 digest per payload, the newest `maxEntries` kept (32 bytes each, about 3 MB at the default):
// an honest peer never sends the same bytes twice (new batches, new weights, error feedback), so the window
// only bounds how old a replay can be and still be caught; an older one is a stale gradient, which the
// norm screen and the clipped mean bound like any other.
import { createHash } from 'node:crypto';

export const DEFAULT_REPLAY_WINDOW = 65_536;

export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(readonly maxEntries = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new Error(`ReplayGuard: maxEntries must be an integer >= 1, got ${maxEntries}`);
  }

  /** Remembers `payload`; returns the round it was first seen in when it is a replay, else undefined. */
  check(payload: Uint8Array, round: number): number | undefined {
    const digest = createHash('sha256').update(payload).digest('base64');
    const first = this.seen.get(digest);
    if (first !== undefined) return first;
    this.seen.set(digest, round);
    if (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
    return undefined;
  }

  get size(): number {
    return this.seen.size;
  }
}
