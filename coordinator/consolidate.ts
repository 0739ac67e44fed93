// Checkpoint consolidation (Node side): the checkpoint's dense weights -> `model.stlmq` beside them, written
// atomically, plus what it cost: size against fp32 dense, sparsity per tensor, and validation bits per byte of
// the consolidated model against the dense one on the same examples. The figures are returned, written to
// `consolidation.json` in the checkpoint, and merged into its `state.json` (field `consolidation`) when present
// (call it when nothing else is writing that state.json: right after the checkpoint is written).
//
// Callers: `stlm consolidate` (cli/consolidate.ts), and the running coordinator through
// checkpoint-consolidator.ts, which adds the policy and a gradual schedule's masks (wired in run.ts).
// The tfjs backend must already be set up (setupBackend).
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { decodeWeightsFile } from '../model/weights-file.ts';
import { StlmModel } from '../model/stlm.ts';
import { validationBitsPerByte } from './validation.ts';
import { writeFileAtomic } from './atomic-file.ts';
import { consolidate, loadConsolidated, type ConsolidateReport, type QuantMode } from '../model/compress/consolidate.ts';
import type { PruneScope, SparsityTarget } from '../model/compress/prune.ts';
import type { PolicyOptions } from '../model/compress/policy.ts';
import { loadCorpus } from '../data/corpus.ts';
import { Dataset } from '../data/dataset.ts';

export const CONSOLIDATED_FILE = 'model.stlmq';
export const DENSE_FILE = 'weights.stlm';
export const REPORT_FILE = 'consolidation.json';

export interface ConsolidateCheckpointOptions extends PolicyOptions {
  /** Default 0.5. */
  sparsity?: SparsityTarget;
  /** Default 'int8'. */
  quant?: QuantMode;
  scope?: PruneScope;
  /** Validation examples to score both models on. Without them they are rebuilt from the corpus with the
   * coordinator's Dataset split (corpus, seed and fraction from state.json's settings unless given here). */
  validation?: Uint8Array[];
  corpus?: string;
  seed?: number;
  validationFraction?: number;
  /** Validation examples scored (default: state.json's settings.validationExamples, else 64). */
  maxValidation?: number;
  batchSize?: number;
  /** Keep masks to use as they are (a PruneSchedule's `maskSet.toMap()`), instead of ranking by magnitude. */
  masks?: Map<string, Uint8Array>;
  /** Where to write the consolidated file (default: `model.stlmq` in the checkpoint). */
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

async function readJson(file: string): Promise<Record<string, unknown> | null> {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
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

export async function consolidateCheckpoint(checkpointDir: string, opts: ConsolidateCheckpointOptions = {}): Promise<ConsolidationReport> {
  const started = Date.now();
  const weightsPath = path.join(checkpointDir, DENSE_FILE);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(weightsPath));
  } catch {
    throw new Error(`consolidateCheckpoint: ${checkpointDir} has no readable ${DENSE_FILE}`);
  }
  let dense;
  try {
    dense = decodeWeightsFile(bytes);
  } catch (e) {
    throw new Error(`${weightsPath}: ${(e as Error).message}`);
  }
  const state = await readJson(path.join(checkpointDir, 'state.json'));
  const settings = (state?.settings ?? {}) as Record<string, unknown>;
  const round = typeof state?.round === 'number' ? state.round : roundFromName(checkpointDir);
  const sparsity = opts.sparsity ?? 0.5;
  const quant = opts.quant ?? 'int8';
  const scope = opts.scope ?? 'per-tensor';
  const { file, report } = consolidate(dense.weights, dense.manifest, dense.config, {
    sparsity, quant, scope, pruneEmbedding: opts.pruneEmbedding, masks: opts.masks,
    meta: { round, source: DENSE_FILE, consolidatedAt: new Date().toISOString() },
  });
  const out = opts.out ?? path.join(checkpointDir, CONSOLIDATED_FILE);
  await writeFileAtomic(out, file);

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
  if (opts.out) return result;
  await writeFileAtomic(path.join(checkpointDir, REPORT_FILE), JSON.stringify(result, null, 2));
  if (state) {
    await writeFileAtomic(path.join(checkpointDir, 'state.json'), JSON.stringify({ ...state, consolidation: summary(result) }, null, 2));
  }
  return result;
}

/** The figures worth keeping in checkpoint metadata and /api/status (no per-tensor codec list). */
export function summary(r: ConsolidationReport): Omit<ConsolidationReport, 'codecs'> {
  const { codecs: _codecs, ...rest } = r;
  return rest;
}

function roundFromName(dir: string): number | null {
  const m = /ckpt-(\d+)$/.exec(path.basename(path.resolve(dir)));
  return m ? Number(m[1]) : null;
}
