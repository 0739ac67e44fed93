// Coordinate-wise trimmed mean: per coordinate, drop the k = floor(trimFraction * n) lowest and k highest
// values, then take the byte-weighted mean of the rest. With k = 0 (fewer than 1/trimFraction peers) it is
// the weighted mean. Robust to up to k arbitrary peers per coordinate. Runs over at most maxVectors slots
// (buffered.ts).
import { aggregateList, type Accumulator, type Aggregator, type Contribution } from './aggregator.ts';
import { BufferedAccumulator, DEFAULT_MAX_VECTORS } from './buffered.ts';
import { sortWithWeights } from './sort-small.ts';

export interface TrimmedMeanOptions {
  /** Fraction trimmed from EACH end, in [0, 0.5). Default 0.2. */
  trimFraction?: number;
  /** Slots kept at most (buffered.ts). */
  maxVectors?: number;
}

export class TrimmedMeanAggregator implements Aggregator {
  readonly name = 'trimmed-mean' as const;
  readonly trimFraction: number;
  private readonly maxVectors: number;

  constructor(opts: TrimmedMeanOptions = {}) {
    const f = opts.trimFraction ?? 0.2;
    if (!(f >= 0 && f < 0.5)) throw new Error(`trimmed-mean aggregator: trimFraction must be in [0, 0.5), got ${f}`);
    this.trimFraction = f;
    this.maxVectors = opts.maxVectors ?? DEFAULT_MAX_VECTORS;
  }

  begin(length: number): Accumulator {
    return new BufferedAccumulator(this.name, length, (v, w, len) => this.combine(v, w, len), this.maxVectors);
  }

  aggregate(contributions: Contribution[]): Float32Array {
    return aggregateList(this, contributions);
  }

  private combine(vectors: Float32Array[], weights: Float64Array, len: number): Float32Array {
    const n = vectors.length;
    const k = Math.floor(this.trimFraction * n);
    const out = new Float32Array(len);
    // Scratch reused for every coordinate: no allocation inside the loop.
    const vals = new Float64Array(n);
    const ws = new Float64Array(n);
    for (let i = 0; i < len; i++) {
      for (let j = 0; j < n; j++) {
        vals[j] = vectors[j]![i]!;
        ws[j] = weights[j]!;
      }
      sortWithWeights(vals, ws, n);
      let sum = 0;
      let wsum = 0;
      for (let j = k; j < n - k; j++) {
        sum += vals[j]! * ws[j]!;
        wsum += ws[j]!;
      }
      // All kept peers may have weight 0 at this coordinate's ranks: fall back to their plain mean.
      if (wsum > 0) out[i] = sum / wsum;
      else {
        let s = 0;
        for (let j = k; j < n - k; j++) s += vals[j]!;
        out[i] = s / (n - 2 * k);
      }
    }
    return out;
  }
}
