// Checkpoint consolidation (Node side): the checkpoint's dense weights -> a consolidated model file in the
// checkpoint, written atomically, plus what it cost: size against fp32 dense, sparsity per tensor, and
// validation bits per byte of the consolidated model against the dense one on the same examples. The figures
// are returned and recorded in the checkpoint (CheckpointStore.recordConsolidation: the full report, and the
// summary in its state). Every read and write goes through the checkpoint's store, under a lease on the
// checkpoint, so the store neither prunes nor replaces it meanwhile (checkpoints/store.ts).
//
// Callers: `stlm consolidate` (cli/consolidate.ts), and the running coordinator through
// consolidation/consolidator.ts, which adds the policy and a gradual schedule's masks (wired in run.ts).
// The tfjs backend must already be set up (setupBackend).
import path from 'node:path';
import { StlmModel } from '../../model/stlm.ts';
import { validationBitsPerByte } from '../run/validation.ts';
import { writeFileAtomic } from '../checkpoints/atomic-file.ts';
import type { CheckpointStore } from '../checkpoints/store.ts';
import { consolidate, loadConsolidated, type ConsolidateReport, type QuantMode } from '../../model/compress/consolidate.ts';
import type { PruneScope, SparsityTarget } from '../../model/compress/prune.ts';
import type { PolicyOptions } from '../../model/compress/policy.ts';
import { loadCorpus } from '../../data/corpus.ts';
import { Dataset } from '../../data/dataset.ts';

export interface ConsolidateCheckpointOptions extends PolicyOptions {
  /** Default 0.5. */
  sparsity?: SparsityTarget;
  /** Default 'int8'. */
  quant?: QuantMode;
  scope?: PruneScope;
  /** Validation examples to score both models on. Without them they are rebuilt from the corpus with the
   * coordinator's Dataset split (corpus, seed and fraction from the checkpoint's settings unless given here). */
  validation?: Uint8Array[];
  corpus?: string;
  seed?: number;
  validationFraction?: number;
  /** Validation examples scored (default: the checkpoint's settings.validationExamples, else 64). */
  maxValidation?: number;
  batchSize?: number;
  /** Keep masks to use as they are (a PruneSchedule's `maskSet.toMap()`), instead of ranking by magnitude. */
  masks?: Map<string, Uint8Array>;
  /** Where to write the consolidated file instead of into the checkpoint, which is then left untouched. */
  out?: string;
}

export interface ConsolidationReport extends Omit<ConsolidateReport, 'codecs'> {
  file: string;
  checkpoint: string;
  round: number | null;
  sparsity: SparsityTarget;
  quant: QuantMode;
  scope: PruneScope;
  validationExamples: number;
  bpbDense: number;
  bpbConsolidated: number;
  /** bpbConsolidated - bpbDense: what consolidation cost in quality. */
  bpbDelta: number;
  codecs: ConsolidateReport['codecs'];
  at: string;
  ms: number;
}

async function validationFor(checkpointDir: string, config: StlmModel['config'], opts: ConsolidateCheckpointOptions,
  settings: Record<string, unknown>): Promise<Uint8Array[]> {
  const limit = opts.maxValidation ?? (typeof settings.validationExamples === 'number' ? settings.validationExamples : 64);
  if (opts.validation) {
    if (opts.validation.length === 0) throw new Error('consolidateCheckpoint: the validation set is empty');
    return opts.validation.slice(0, limit);
  }
  const corpus = await loadCorpus(opts.corpus ?? (typeof settings.data === 'string' ? settings.data : undefined));
  const dataset = Dataset.fromCorpus(corpus.bytes, config, {
    seed: opts.seed ?? (typeof settings.seed === 'number' ? settings.seed : 1),
    validationFraction: opts.validationFraction ?? (typeof settings.validationFraction === 'number' ? settings.validationFraction : undefined),
  });
  const val = dataset.validationExamples(limit);
  if (val.length === 0) throw new Error(`consolidateCheckpoint: no validation examples for ${checkpointDir}`);
  return val;
}

/** Consolidates the checkpoint in `checkpointDir`, one of `store`'s (CheckpointStore.of outside a coordinator). */
export async function consolidateCheckpoint(store: CheckpointStore, checkpointDir: string, opts: ConsolidateCheckpointOptions = {}): Promise<ConsolidationReport> {
  const started = Date.now();
  return store.withLease(checkpointDir, async (lease) => {
    const { file: denseFile, dense, settings, round } = await store.readDense(lease);
    const sparsity = opts.sparsity ?? 0.5;
    const quant = opts.quant ?? 'int8';
    const scope = opts.scope ?? 'per-tensor';
    const { file, report } = consolidate(dense.weights, dense.manifest, dense.config, {
      sparsity, quant, scope, pruneEmbedding: opts.pruneEmbedding, masks: opts.masks,
      meta: { round, source: path.basename(denseFile), consolidatedAt: new Date().toISOString() },
    });
    let out = opts.out;
    if (out) await writeFileAtomic(out, file);
    else out = await store.writeConsolidated(lease, file);

    // Score the consolidated model as it will be loaded: from the bytes just written.
    const loaded = loadConsolidated(file);
    const validation = await validationFor(checkpointDir, dense.config, opts, settings);
    const model = StlmModel.create(dense.config, 0);
    let bpbDense: number;
    let bpbConsolidated: number;
    try {
      // Yielding between batches: inside a running coordinator, peers' messages are served meanwhile.
      model.setWeights(dense.weights);
      bpbDense = await validationBitsPerByte(model, validation, opts.batchSize);
      model.setWeights(loaded.weights);
      bpbConsolidated = await validationBitsPerByte(model, validation, opts.batchSize);
    } finally {
      model.dispose();
    }
    const result: ConsolidationReport = {
      file: out, checkpoint: checkpointDir, round, sparsity, quant, scope,
      ...report,
      validationExamples: validation.length, bpbDense, bpbConsolidated, bpbDelta: bpbConsolidated - bpbDense,
      at: new Date().toISOString(), ms: Date.now() - started,
    };
    // With an explicit --out the checkpoint itself is left untouched.
    if (!opts.out) await store.recordConsolidation(lease, result, summary(result));
    return result;
  });
}

/** The figures worth keeping in checkpoint metadata and /api/status (no per-tensor codec list). */
export function summary(r: ConsolidationReport): Omit<ConsolidationReport, 'codecs'> {
  const { codecs: _codecs, ...rest } = r;
  return rest;
}
