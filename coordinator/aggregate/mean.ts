// Weighted mean by scored bytes: exactly the gradient of the byte-averaged loss over all peers' batches,
// so N peers with batches B_i equal one process training on their union (the equivalence test relies on it).
// Streams: one float64 running sum, O(params) whatever the number of peers.
import { aggregateList, type Accumulator, type Aggregator, type Contribution } from './aggregator.ts';

export class MeanAggregator implements Aggregator {
  readonly name = 'mean' as const;

  begin(length: number): Accumulator {
    return new WeightedSum('mean', length, () => 1);
  }

  aggregate(contributions: Contribution[]): Float32Array {
    return aggregateList(this, contributions);
  }
}

/** Σ w·s·x / Σ w over the contributions, where `scaleOf(norm)` gives s (1 for a plain mean). */
export class WeightedSum implements Accumulator {
  private readonly sum: Float64Array;
  private total = 0;

  constructor(
    private readonly rule: string,
    readonly length: number,
    private readonly scaleOf: (norm: number) => number,
  ) {
    this.sum = new Float64Array(length);
  }

  add(c: Contribution, norm: number): void {
    if (c.vector.length !== this.length) throw new Error(`${this.rule} aggregator: peer ${c.peerId} has ${c.vector.length} values, expected ${this.length}`);
    if (!Number.isFinite(c.weight) || c.weight < 0) throw new Error(`${this.rule} aggregator: peer ${c.peerId} has weight ${c.weight}`);
    this.total += c.weight;
    const w = c.weight * this.scaleOf(norm);
    if (w === 0) return;
    const v = c.vector;
    const sum = this.sum;
    for (let i = 0; i < v.length; i++) sum[i] += w * v[i]!;
  }

  finish(): Float32Array {
    if (!(this.total > 0)) throw new Error(`${this.rule} aggregator: the weights sum to 0`);
    const out = new Float32Array(this.length);
    for (let i = 0; i < out.length; i++) out[i] = this.sum[i]! / this.total;
    return out;
  }
}
