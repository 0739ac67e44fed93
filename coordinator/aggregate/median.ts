// Coordinate-wise median (unweighted: a robust rule should not let one peer buy influence by claiming
// more bytes). For an even count, the mean of the two middle values. Robust to just under half the peers.
// Runs over at most maxVectors slots (buffered.ts).
import { aggregateList, type Accumulator, type Aggregator, type Contribution } from './aggregator.ts';
import { BufferedAccumulator, DEFAULT_MAX_VECTORS } from './buffered.ts';
import { sortValues } from './sort-small.ts';

export class MedianAggregator implements Aggregator {
  readonly name = 'median' as const;

  constructor(private readonly maxVectors = DEFAULT_MAX_VECTORS) {}

  begin(length: number): Accumulator {
    return new BufferedAccumulator(this.name, length, coordinateMedian, this.maxVectors);
  }

  aggregate(contributions: Contribution[]): Float32Array {
    return aggregateList(this, contributions);
  }
}

function coordinateMedian(vectors: Float32Array[], _weights: Float64Array, len: number): Float32Array {
  const n = vectors.length;
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
