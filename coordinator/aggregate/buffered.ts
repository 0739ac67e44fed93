// The accumulator of the rules that need every value per coordinate (median, trimmed mean). It keeps at most
// `maxVectors` vectors, so a round's memory is bounded whatever the number of peers: the first maxVectors
// contributions get a slot each (below the cap the rule sees exactly the contributions), and each later one
// is merged into a slot drawn at random (a byte-weighted running mean of that slot's members). The rule then
// runs over the slots: a median of means, robust while fewer than half the slots hold a bad contribution.
import type { Accumulator, Contribution } from './aggregator.ts';

/** Slots a robust rule keeps at most: 8 x params x 4 bytes (below 8 peers, exactly one slot each). */
export const DEFAULT_MAX_VECTORS = 8;

export type CombineSlots = (vectors: Float32Array[], weights: Float64Array, length: number) => Float32Array;

export class BufferedAccumulator implements Accumulator {
  private readonly vectors: Float32Array[] = [];
  private readonly weights: number[] = [];
  private readonly counts: number[] = [];

  constructor(
    private readonly rule: string,
    readonly length: number,
    private readonly combine: CombineSlots,
    private readonly maxVectors = DEFAULT_MAX_VECTORS,
    private readonly random: () => number = Math.random,
  ) {
    if (!Number.isInteger(maxVectors) || maxVectors < 1) throw new Error(`${rule} aggregator: maxVectors must be an integer >= 1, got ${maxVectors}`);
  }

  add(c: Contribution): void {
    if (c.vector.length !== this.length) throw new Error(`${this.rule} aggregator: peer ${c.peerId} has ${c.vector.length} values, expected ${this.length}`);
    if (!Number.isFinite(c.weight) || c.weight < 0) throw new Error(`${this.rule} aggregator: peer ${c.peerId} has weight ${c.weight}`);
    if (this.vectors.length < this.maxVectors) {
      this.vectors.push(c.vector.slice());
      this.weights.push(c.weight);
      this.counts.push(1);
      return;
    }
    const k = Math.min(this.maxVectors - 1, Math.floor(this.random() * this.maxVectors));
    const slot = this.vectors[k]!;
    const w0 = this.weights[k]!;
    const n0 = this.counts[k]!;
    // Weighted running mean; by count when both weights are 0.
    const a = w0 + c.weight > 0 ? c.weight / (w0 + c.weight) : 1 / (n0 + 1);
    const v = c.vector;
    for (let i = 0; i < slot.length; i++) slot[i] = slot[i]! + a * (v[i]! - slot[i]!);
    this.weights[k] = w0 + c.weight;
    this.counts[k] = n0 + 1;
  }

  finish(): Float32Array {
    const weights = Float64Array.from(this.weights);
    if (!(weights.reduce((s, w) => s + w, 0) > 0)) throw new Error(`${this.rule} aggregator: the weights sum to 0`);
    return this.combine(this.vectors, weights, this.length);
  }
}
