// Norm-clipped weighted mean: every contribution longer than clipRatio x the reference norm (the typical
// honest norm, known before the round) is scaled down to that length, then the byte-weighted mean is taken.
// A peer that passes the norm screen can then move the update by at most clipRatio x an honest contribution,
// in whatever direction; honest rounds are left as the plain mean (their norms sit well inside the clip).
// Streams in O(params), like the mean. With no reference (a fresh run's first round, a zero norm) nothing is
// clipped.
import { aggregateList, type Accumulator, type Aggregator, type Contribution } from './aggregator.ts';
import { WeightedSum } from './mean.ts';

export interface ClippedMeanOptions {
  /** Clip at this multiple of the reference norm; > 0. Default 1.5. */
  clipRatio?: number;
}

export class ClippedMeanAggregator implements Aggregator {
  readonly name = 'clipped-mean' as const;
  readonly clipRatio: number;

  constructor(opts: ClippedMeanOptions = {}) {
    const r = opts.clipRatio ?? 1.5;
    if (!(r > 0) || !Number.isFinite(r)) throw new Error(`clipped-mean aggregator: clipRatio must be a positive number, got ${r}`);
    this.clipRatio = r;
  }

  begin(length: number, referenceNorm: number | undefined): Accumulator {
    const clip = referenceNorm !== undefined && referenceNorm > 0 ? this.clipRatio * referenceNorm : Infinity;
    return new WeightedSum(this.name, length, (norm) => (norm > clip ? clip / norm : 1));
  }

  aggregate(contributions: Contribution[]): Float32Array {
    return aggregateList(this, contributions);
  }
}
