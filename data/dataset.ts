// The training data as a run sees it: whole training examples, the held-out examples (the corpus tail, see
// split.ts), and the order in which training batches are handed out. The coordinator and `stlm train` use it.
//
// Guarantees: every epoch's order depends only on the seed and the examples; within an epoch
// no example is served twice, except that a batch whose result was lost (peer gone, deadline, rejection)
// is requeued and served again, before any fresh data; the position (epoch, offset, requeued and
// outstanding batches) is exported as JSON and restored after a restart, where batches that were out at
// the time are served again first (their peers' results died with the old process).
import type { StlmConfig } from '../model/config.ts';
import { mixSeed, permutation } from './order.ts';
import { HELD_OUT_FRACTION, splitExamples, type SplitExamples } from './split.ts';

export interface DatasetOptions {
  seed: number;
  /** Share of the corpus bytes held out, its tail (default HELD_OUT_FRACTION, 1%); only for fromCorpus. */
  validationFraction?: number;
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

  constructor(split: SplitExamples, opts: DatasetOptions) {
    const check = (examples: Uint8Array[], what: string) => {
      if (!Array.isArray(examples) || examples.length === 0) throw new Error(`Dataset: need at least 1 ${what} example`);
      examples.forEach((e, i) => {
        if (!(e instanceof Uint8Array) || e.length === 0) throw new Error(`Dataset: ${what} example ${i} is not a non-empty Uint8Array`);
      });
    };
    check(split?.train, 'training');
    check(split?.heldOut, 'held-out');
    if (!Number.isInteger(opts.seed) || opts.seed < 0) throw new Error(`Dataset: seed must be a non-negative integer, got ${opts.seed}`);
    this.seed = opts.seed;
    this.train = split.train;
    this.validation = split.heldOut;
    this.trainBytes = this.train.reduce((s, e) => s + e.length, 0);
    this.order = this.epochOrder(0);
  }

  /** Splits a corpus byte stream (its tail is held out, see split.ts), cuts both parts into examples for `cfg`. */
  static fromCorpus(bytes: Uint8Array, cfg: StlmConfig, opts: DatasetOptions): Dataset {
    return new Dataset(splitExamples(bytes, cfg, opts.validationFraction ?? HELD_OUT_FRACTION), opts);
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

  /** The first `limit` held-out examples (always the same ones, in corpus order). */
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
    return permutation(this.train.length, mixSeed(this.seed, epoch + 1));
  }
}
