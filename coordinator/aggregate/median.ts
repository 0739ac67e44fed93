// Coordinate-wise median (unweighted: a robust rule should not let one peer buy influence by claiming
// more bytes). For an even count, the mean of the two middle values. Robust to just under half the peers.
import { checkContributions, type Aggregator, type Contribution } from './aggregator.ts';
import { sortValues } from './sort-small.ts';

export class MedianAggregator implements Aggregator {
  readonly name = 'median' as const;

  aggregate(contributions: Contribution[]): Float32Array {
    const len = checkContributions(this.name, contributions);
    const n = contributions.length;
    const vectors = contributions.map((c) => c.vector);
    const out = new Float32Array(len);
    if (n === 1) {
      out.set(vectors[0]!);
      return out;
    }
    const vals = new Float64Array(n);
    const mid = n >> 1;
    const even = n % 2 === 0;
    for (let i = 0; i < len; i++) {
      for (let j = 0; j < n; j++) vals[j] = vectors[j]![i]!;
      sortValues(vals, n);
      out[i] = even ? (vals[mid - 1]! + vals[mid]!) / 2 : vals[mid]!;
    }
    return out;
  }
}
