// The one small interface every aggregation rule implements, and the input checks they all share.
// A rule turns the round's accepted contributions (gradients or pseudo-gradients, one per peer) into the
// single update the coordinator applies. Weights are scored bytes, so a peer that trained on more bytes
// counts more wherever the rule uses weights.

export const AGGREGATOR_NAMES = ['mean', 'trimmed-mean', 'median'] as const;
export type AggregatorName = (typeof AGGREGATOR_NAMES)[number];

export interface Contribution {
  vector: Float32Array;
  /** Scored bytes behind this vector. */
  weight: number;
  peerId: string;
}

export interface Aggregator {
  readonly name: AggregatorName;
  /** A new array; the inputs are not modified. Throws on an empty list, unequal lengths or a bad weight. */
  aggregate(contributions: Contribution[]): Float32Array;
}

export function isAggregatorName(name: string): name is AggregatorName {
  return (AGGREGATOR_NAMES as readonly string[]).includes(name);
}

/** Shared preconditions; returns the common vector length. */
export function checkContributions(rule: AggregatorName, contributions: Contribution[]): number {
  if (!Array.isArray(contributions) || contributions.length === 0) {
    throw new Error(`${rule} aggregator: no contributions to aggregate`);
  }
  const n = contributions[0]!.vector.length;
  let total = 0;
  for (const c of contributions) {
    if (!(c.vector instanceof Float32Array)) throw new Error(`${rule} aggregator: peer ${c.peerId} sent no Float32Array`);
    if (c.vector.length !== n) {
      throw new Error(`${rule} aggregator: peer ${c.peerId} has ${c.vector.length} values, expected ${n}`);
    }
    if (!Number.isFinite(c.weight) || c.weight < 0) {
      throw new Error(`${rule} aggregator: peer ${c.peerId} has weight ${c.weight}; weights must be finite and >= 0`);
    }
    total += c.weight;
  }
  if (!(total > 0)) throw new Error(`${rule} aggregator: the weights sum to 0`);
  return n;
}
