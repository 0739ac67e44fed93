// Weighted mean by scored bytes: exactly the gradient of the byte-averaged loss over all peers' batches,
// so N peers with batches B_i equal one process training on their union (the equivalence test relies on it).
import { checkContributions, type Aggregator, type Contribution } from './aggregator.ts';

export class MeanAggregator implements Aggregator {
  readonly name = 'mean' as const;

  aggregate(contributions: Contribution[]): Float32Array {
    const n = checkContributions(this.name, contributions);
    let total = 0;
    for (const c of contributions) total += c.weight;
    const out = new Float32Array(n);
    // One pass per contribution over contiguous memory; weights normalized up front.
    for (const c of contributions) {
      const w = c.weight / total;
      if (w === 0) continue;
      const v = c.vector;
      for (let i = 0; i < n; i++) out[i] += w * v[i]!;
    }
    return out;
  }
}
