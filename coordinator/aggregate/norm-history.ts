// The norm bound known before a round: the median of the last few rounds' median accepted norms. A round's
// own median can be moved by whoever sends most of that round's contributions; the history can only be moved
// by contributions that were accepted, round after round, and a minority of them cannot move a median.
//
// Honest norms drift (they shrink as the loss falls; in local-steps mode they grow with the warmup's inner
// learning rate), so the history is short, and the caller falls back to the round's own median when most
// of a round lies outside the history's bounds (see rounds/round-aggregation.ts): a stale history must never
// reject an honest majority round after round.
import { medianOf } from './aggregator.ts';
import { boundsAround, type NormBounds } from './screen.ts';

export interface NormHistoryOptions {
  /** Rounds remembered. Default 8. */
  rounds?: number;
  /** Rounds needed before the history gives a bound. Default 2. */
  minRounds?: number;
  /** Accept norms within [reference / ratio, reference x ratio]. Default 4. */
  maxNormRatio?: number;
}

export class NormHistory {
  private readonly medians: number[] = [];
  readonly rounds: number;
  readonly minRounds: number;
  readonly maxNormRatio: number;

  constructor(o: NormHistoryOptions = {}) {
    this.rounds = o.rounds ?? 8;
    this.minRounds = o.minRounds ?? 2;
    this.maxNormRatio = o.maxNormRatio ?? 4;
    if (!(this.rounds >= 1 && this.minRounds >= 1 && this.minRounds <= this.rounds)) {
      throw new Error(`NormHistory: need 1 <= minRounds <= rounds, got ${this.minRounds} and ${this.rounds}`);
    }
    if (!(this.maxNormRatio > 1)) throw new Error(`NormHistory: maxNormRatio must be > 1, got ${this.maxNormRatio}`);
  }

  /** After an applied round: the norms of the contributions it accepted (before any clipping). */
  record(acceptedNorms: number[]): void {
    const finite = acceptedNorms.filter((n) => Number.isFinite(n) && n > 0);
    if (finite.length === 0) return;
    this.medians.push(medianOf(finite));
    if (this.medians.length > this.rounds) this.medians.shift();
  }

  /** The typical honest norm, or undefined until minRounds rounds were recorded. */
  reference(): number | undefined {
    return this.medians.length >= this.minRounds ? medianOf(this.medians) : undefined;
  }

  bounds(): NormBounds | undefined {
    const ref = this.reference();
    return ref === undefined ? undefined : boundsAround(ref, this.maxNormRatio);
  }
}
