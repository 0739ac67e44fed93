// The coordinator's view of the training data: whole examples (from splitIntoExamples), a deterministic
// validation split, and the order in which training batches are handed out.
//
// Guarantees: the split and every epoch's order depend only on the seed and the examples; within an epoch
// no example is served twice, except that a batch whose result was lost (peer gone, deadline, rejection)
// is requeued and served again, before any fresh data; the position (epoch, offset, requeued and
// outstanding batches) is exported as JSON and restored after a restart, where batches that were out at
// the time are served again first (their peers' results died with the old process).
import { splitIntoExamples } from '../model/bytes.ts';
import type { StlmConfig } from '../model/config.ts';
import { Prng } from '../model/prng.ts';

export interface DatasetOptions {
  seed: number;
  /** Share of examples held out for validation (default 0.01), bounded by minValidation and maxValidation. */
  validationFraction?: number;
  /** Default 48: fewer makes a noisy bits-per-byte. Never more than half the examples. */
  minValidation?: number;
  /** Default 2000: more only slows evaluation down. */
  maxValidation?: number;
}

export interface Batch {
  batchId: number;
  examples: Uint8Array[];
  /** The epoch of the batch's first example. */
  epoch: number;
}

interface BatchRecord {
  batchId: number;
  epoch: number;
  /** Indices into the training examples. */
  indices: number[];
}

/** JSON-safe position in the data. */
export interface DatasetCursor {
  format: 1;
  seed: number;
  trainExamples: number;
  trainBytes: number;
  epoch: number;
  position: number;
  nextBatchId: number;
  requeued: BatchRecord[];
  outstanding: BatchRecord[];
}

export interface DatasetStats {
  trainExamples: number;
  validationExamples: number;
  trainBytes: number;
  validationBytes: number;
  epoch: number;
  /** Fraction of the current epoch's fresh examples already served. */
  epochProgress: number;
  outstandingBatches: number;
  requeuedBatches: number;
}

export class Dataset {
  readonly seed: number;
  private readonly train: Uint8Array[];
  private readonly validation: Uint8Array[];
  private readonly trainBytes: number;
  private epoch = 0;
  private position = 0;
  private order: Uint32Array;
  private nextBatchId = 1;
  private readonly outstanding = new Map<number, BatchRecord>();
  private requeued: BatchRecord[] = [];

  constructor(examples: Uint8Array[], opts: DatasetOptions) {
    if (!Array.isArray(examples)) throw new Error('Dataset: expected an array of examples');
    examples.forEach((e, i) => {
      if (!(e instanceof Uint8Array) || e.length === 0) throw new Error(`Dataset: example ${i} is not a non-empty Uint8Array`);
    });
    if (examples.length < 2) throw new Error(`Dataset: need at least 2 examples (1 to train, 1 to validate), got ${examples.length}`);
    if (!Number.isInteger(opts.seed) || opts.seed < 0) throw new Error(`Dataset: seed must be a non-negative integer, got ${opts.seed}`);
    const fraction = opts.validationFraction ?? 0.01;
    if (!(fraction > 0 && fraction < 0.5)) throw new Error(`Dataset: validationFraction must be in (0, 0.5), got ${fraction}`);
    this.seed = opts.seed;
    const n = examples.length;
    const minVal = Math.min(opts.minValidation ?? 48, Math.floor(n / 2));
    const nVal = Math.max(1, Math.min(opts.maxValidation ?? 2000, Math.max(minVal, Math.round(fraction * n))));
    // Held-out examples are a seeded random choice of whole examples, kept in corpus order.
    const shuffled = permutation(n, new Prng(mix(this.seed, 0x5eed)));
    const isVal = new Uint8Array(n);
    for (let i = 0; i < nVal; i++) isVal[shuffled[i]!] = 1;
    this.train = examples.filter((_, i) => isVal[i] === 0);
    this.validation = examples.filter((_, i) => isVal[i] === 1);
    this.trainBytes = this.train.reduce((s, e) => s + e.length, 0);
    this.order = this.epochOrder(0);
  }

  /** Cuts a corpus byte stream into examples for `cfg` and builds the dataset. */
  static fromCorpus(bytes: Uint8Array, cfg: StlmConfig, opts: DatasetOptions): Dataset {
    return new Dataset(splitIntoExamples(bytes, cfg), opts);
  }

  get trainCount(): number {
    return this.train.length;
  }

  /** A requeued batch if there is one (same id, same examples), else the next fresh examples. */
  nextBatch(batchSize: number): Batch {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`Dataset.nextBatch: batchSize must be a positive integer, got ${batchSize}`);
    let rec = this.requeued.shift();
    if (!rec) {
      rec = { batchId: this.nextBatchId++, epoch: this.epoch, indices: [] };
      for (let i = 0; i < batchSize; i++) {
        if (this.position === this.order.length) {
          this.epoch++;
          this.position = 0;
          this.order = this.epochOrder(this.epoch);
        }
        rec.indices.push(this.order[this.position++]!);
      }
    }
    this.outstanding.set(rec.batchId, rec);
    return { batchId: rec.batchId, epoch: rec.epoch, examples: rec.indices.map((i) => this.train[i]!) };
  }

  /** The batch's result was lost: serve it again before fresh data. False if the batch is not out. */
  requeue(batchId: number): boolean {
    const rec = this.outstanding.get(batchId);
    if (!rec) return false;
    this.outstanding.delete(batchId);
    this.requeued.push(rec);
    return true;
  }

  /** The batch's result was applied: forget it. False if the batch is not out. */
  complete(batchId: number): boolean {
    return this.outstanding.delete(batchId);
  }

  /** The first `limit` validation examples (always the same ones, in the same order). */
  validationExamples(limit?: number): Uint8Array[] {
    if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
      throw new Error(`Dataset.validationExamples: limit must be a non-negative integer, got ${limit}`);
    }
    return this.validation.slice(0, limit ?? this.validation.length);
  }

  exportCursor(): DatasetCursor {
    const copy = (r: BatchRecord): BatchRecord => ({ batchId: r.batchId, epoch: r.epoch, indices: [...r.indices] });
    return {
      format: 1,
      seed: this.seed,
      trainExamples: this.train.length,
      trainBytes: this.trainBytes,
      epoch: this.epoch,
      position: this.position,
      nextBatchId: this.nextBatchId,
      requeued: this.requeued.map(copy),
      outstanding: [...this.outstanding.values()].map(copy),
    };
  }

  /** Restores a position exported from a dataset with the same examples and seed; checks everything. */
  importCursor(c: DatasetCursor): void {
    const bad = (why: string): never => {
      throw new Error(`Dataset.importCursor: ${why}`);
    };
    if (typeof c !== 'object' || c === null || c.format !== 1) bad('not a dataset cursor (format 1)');
    if (c.seed !== this.seed) bad(`the cursor is for seed ${c.seed}, this dataset uses seed ${this.seed}`);
    if (c.trainExamples !== this.train.length || c.trainBytes !== this.trainBytes) {
      bad(`the cursor is for other data (${c.trainExamples} training examples / ${c.trainBytes} bytes, here ${this.train.length} / ${this.trainBytes})`);
    }
    const isCount = (x: unknown) => Number.isInteger(x) && (x as number) >= 0;
    if (!isCount(c.epoch) || !isCount(c.position) || c.position > this.train.length) bad('bad epoch or position');
    if (!isCount(c.nextBatchId) || c.nextBatchId < 1) bad('bad nextBatchId');
    const seen = new Set<number>();
    const check = (r: BatchRecord): BatchRecord => {
      if (!isCount(r?.batchId) || r.batchId >= c.nextBatchId || seen.has(r.batchId)) bad(`bad or duplicate batch id ${r?.batchId}`);
      seen.add(r.batchId);
      if (!isCount(r.epoch) || !Array.isArray(r.indices) || r.indices.length === 0) bad(`batch ${r.batchId} is malformed`);
      for (const i of r.indices) if (!isCount(i) || i >= this.train.length) bad(`batch ${r.batchId} names example ${i}, out of range`);
      return { batchId: r.batchId, epoch: r.epoch, indices: [...r.indices] };
    };
    if (!Array.isArray(c.requeued) || !Array.isArray(c.outstanding)) bad('requeued and outstanding must be arrays');
    const requeued = [...c.requeued.map(check), ...c.outstanding.map(check)];
    this.epoch = c.epoch;
    this.position = c.position;
    this.order = this.epochOrder(c.epoch);
    this.nextBatchId = c.nextBatchId;
    this.outstanding.clear();
    this.requeued = requeued;
  }

  stats(): DatasetStats {
    return {
      trainExamples: this.train.length,
      validationExamples: this.validation.length,
      trainBytes: this.trainBytes,
      validationBytes: this.validation.reduce((s, e) => s + e.length, 0),
      epoch: this.epoch,
      epochProgress: this.position / this.train.length,
      outstandingBatches: this.outstanding.size,
      requeuedBatches: this.requeued.length,
    };
  }

  private epochOrder(epoch: number): Uint32Array {
    return permutation(this.train.length, new Prng(mix(this.seed, epoch + 1)));
  }
}

/** Fisher-Yates with a seeded generator. */
function permutation(n: number, rng: Prng): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** Derives a 32-bit seed for one purpose (split, epoch k) from the run seed. */
function mix(seed: number, salt: number): number {
  return (Math.imul(seed ^ 0x2545f491, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca6b)) >>> 0;
}
