// Adaptive round deadlines from measured peer speed (hivemind #676 asks for this; disco #1109 shows what
// fixed ones do). Per peer, an exponential moving average of scored bytes per second over its results
// (elapsed = assignment sent -> result received, so compute, encoding and transfer all count).
// deadline = safetyFactor x assigned bytes / speed, clamped to [minMs, maxMs]; defaultMs before the first
// measurement. A missed deadline sets the estimate so that the same assignment gets twice that deadline next
// time: a peer that keeps missing gets doubling deadlines up to maxMs, and a round never waits past maxMs.

export interface DeadlineOptions {
  defaultMs: number;
  minMs: number;
  maxMs: number;
  safetyFactor: number;
  /** Weight of the newest measurement in the moving average, in (0, 1]. */
  emaAlpha: number;
}

export const DEFAULT_DEADLINE_OPTIONS: DeadlineOptions = { defaultMs: 60_000, minMs: 2_000, maxMs: 600_000, safetyFactor: 3, emaAlpha: 0.3 };

export interface PeerSpeed {
  bytesPerSec: number;
  samples: number;
  misses: number;
}

export class DeadlineEstimator {
  readonly opts: DeadlineOptions;
  private readonly speeds = new Map<string, PeerSpeed>();

  constructor(opts: Partial<DeadlineOptions> = {}) {
    const o = { ...DEFAULT_DEADLINE_OPTIONS, ...opts };
    const bad = (why: string): never => {
      throw new Error(`DeadlineEstimator: ${why}`);
    };
    if (!(o.minMs > 0) || !(o.maxMs >= o.minMs) || !Number.isFinite(o.maxMs)) bad(`need 0 < minMs <= maxMs, got ${o.minMs} and ${o.maxMs}`);
    if (!(o.defaultMs >= o.minMs && o.defaultMs <= o.maxMs)) bad(`defaultMs ${o.defaultMs} must lie within [minMs, maxMs]`);
    if (!(o.safetyFactor >= 1) || !Number.isFinite(o.safetyFactor)) bad(`safetyFactor must be >= 1, got ${o.safetyFactor}`);
    if (!(o.emaAlpha > 0 && o.emaAlpha <= 1)) bad(`emaAlpha must be in (0, 1], got ${o.emaAlpha}`);
    this.opts = o;
  }

  /** A result arrived: `bytes` scored bytes in `elapsedMs`. Returns false (and learns nothing) for nonsense input. */
  record(peerId: string, bytes: number, elapsedMs: number): boolean {
    if (!(bytes > 0) || !(elapsedMs > 0) || !Number.isFinite(bytes) || !Number.isFinite(elapsedMs)) return false;
    const rate = (bytes * 1000) / elapsedMs;
    const s = this.speeds.get(peerId);
    if (!s) this.speeds.set(peerId, { bytesPerSec: rate, samples: 1, misses: 0 });
    else {
      s.bytesPerSec = this.opts.emaAlpha * rate + (1 - this.opts.emaAlpha) * s.bytesPerSec;
      s.samples++;
    }
    return true;
  }

  /** The peer did not deliver `bytesAssigned` within `deadlineMs`. */
  recordMiss(peerId: string, bytesAssigned: number, deadlineMs: number): void {
    if (!(bytesAssigned > 0) || !(deadlineMs > 0)) return;
    // The speed at which deadlineMs(peerId, bytesAssigned) = 2 x the missed deadline.
    const slower = (this.opts.safetyFactor * bytesAssigned * 1000) / (2 * deadlineMs);
    const s = this.speeds.get(peerId);
    if (!s) this.speeds.set(peerId, { bytesPerSec: slower, samples: 0, misses: 1 });
    else {
      s.bytesPerSec = Math.min(s.bytesPerSec, slower);
      s.misses++;
    }
  }

  /** How long to wait for `bytesAssigned` bytes from this peer. */
  deadlineMs(peerId: string, bytesAssigned: number): number {
    const { defaultMs, minMs, maxMs, safetyFactor } = this.opts;
    const s = this.speeds.get(peerId);
    if (!s || !(bytesAssigned >= 0)) return defaultMs;
    const ms = (safetyFactor * bytesAssigned * 1000) / s.bytesPerSec;
    return Math.round(Math.min(maxMs, Math.max(minMs, ms)));
  }

  /** Examples that take this peer about `targetSeconds`; undefined before the first measurement. At least 1. */
  suggestBatchSize(peerId: string, targetSeconds: number, bytesPerExample: number): number | undefined {
    const s = this.speeds.get(peerId);
    if (!s || s.samples === 0 || !(targetSeconds > 0) || !(bytesPerExample > 0)) return undefined;
    return Math.max(1, Math.floor((s.bytesPerSec * targetSeconds) / bytesPerExample));
  }

  speed(peerId: string): PeerSpeed | undefined {
    const s = this.speeds.get(peerId);
    return s && { ...s };
  }

  /** The peer left: a rejoining process may run on other hardware. */
  forget(peerId: string): void {
    this.speeds.delete(peerId);
  }
}

/** A round waits for its slowest peer, but at most this many times the (lower) median of its peers' deadlines. */
export const ROUND_DEADLINE_SPREAD = 3;

/**
 * A round's deadline from its peers' own: the largest, bounded by ROUND_DEADLINE_SPREAD x their lower median
 * (with two peers, the faster one's: each deadline already holds 3x the peer's expected time), so
 * one peer whose deadline has grown (it keeps missing, or it is far slower than the rest) cannot make every
 * round wait for it: it misses, and gets work again once its late result arrives. With one peer, its own.
 */
export function roundDeadlineMs(perPeer: number[]): number {
  if (perPeer.length === 0) return 0;
  const sorted = [...perPeer].sort((a, b) => a - b);
  const lowerMedian = sorted[(sorted.length - 1) >> 1]!;
  return Math.min(sorted.at(-1)!, ROUND_DEADLINE_SPREAD * lowerMedian);
}
