// The one small interface every aggregation rule implements, and the input checks they all share.
// A rule turns the round's accepted contributions (gradients or pseudo-gradients, one per peer) into the
// single update the coordinator applies. Weights are scored bytes, so a peer that trained on more bytes
// counts more wherever the rule uses weights (the collector clamps a claim to the bytes actually assigned,
// which caps the weight any one contribution can get).
//
// Rules stream: `begin` opens one round's accumulator, each screened contribution is folded in as it is
// decoded and can be dropped at once, `finish` gives the update. The mean and the clipped mean hold
// O(params); the rules that need every value per coordinate (median, trimmed mean) hold at most a fixed
// number of vectors (see buffered.ts). `aggregate` is the same thing over a list.

export const AGGREGATOR_NAMES = ['mean', 'trimmed-mean', 'median', 'clipped-mean'] as const;
export type AggregatorName = (typeof AGGREGATOR_NAMES)[number];

export interface Contribution {
  vector: Float32Array;
  /** Scored bytes behind this vector. */
  weight: number;
  peerId: string;
}

/** One round's running aggregate. */
export interface Accumulator {
  /** Folds in one contribution; the caller may reuse or drop `c.vector` afterwards. `norm` is its L2 norm. */
  add(c: Contribution, norm: number): void;
  /** The update (a new array). Throws when nothing with a weight above 0 was added. */
  finish(): Float32Array;
}

export interface Aggregator {
  readonly name: AggregatorName;
  /**
   * A new accumulator for vectors of `length` values. `referenceNorm` is the typical L2 norm of an honest
   * contribution, known before the round (the history of accepted norms, or the round's own median norm);
   * rules that bound a contribution's influence by its norm use it, the others ignore it.
   */
  begin(length: number, referenceNorm: number | undefined): Accumulator;
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

export function l2Norm(v: Float32Array): number {
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += v[i]! * v[i]!;
  return Math.sqrt(sq);
}

export function medianOf(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `aggregate` for any rule: checks the list, takes the round's median norm as the reference, streams it. */
export function aggregateList(rule: Aggregator, contributions: Contribution[]): Float32Array {
  const n = checkContributions(rule.name, contributions);
  const norms = contributions.map((c) => l2Norm(c.vector));
  const acc = rule.begin(n, medianOf(norms));
  contributions.forEach((c, i) => acc.add(c, norms[i]!));
  return acc.finish();
}
