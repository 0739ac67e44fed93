// What a checkpoint's files hold, and reading them back with every check. Where the files go and when is the
// store's business (checkpoints/store.ts); their names are checkpoints/layout.ts's.
//   weights.stlm    the master weights (model/weights-file.ts, CRC-checked)
//   optimizer.bin   the optimizer state (AdamW m/v/t or the outer momentum buffer; optimizer/state-file.ts)
//   state.json      round, model version, bytes processed, data cursor, settings (tokens removed), metrics
//                   history, a free-form `consolidation` field, gradual pruning's masks when the run has
//                   them, each binary file's size and CRC-32, and a CRC-32 of its own text (checkpoints/state-json.ts:
//                   the schema and the checksum it is checked against when it loads).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from '../../common/crc32.ts';
import { configFromFile, type StlmConfig } from '../../model/config.ts';
import { modelManifest } from '../../model/layout.ts';
import { sameManifest, type ParamManifest } from '../../model/params.ts';
import { decodeWeightsFile, encodeWeightsFile, type WeightsFile } from '../../model/weights-file.ts';
import type { DatasetCursor } from '../../data/dataset.ts';
import type { RoundRecord } from '../../protocol/status.ts';
import { decodeOptimizerFile, encodeOptimizerFile, type OptimizerState } from '../optimizer/index.ts';
import { OPTIMIZER_FILE, STATE_FILE, WEIGHTS_FILE, namedRound } from './layout.ts';
import { CHECKPOINT_FORMAT, parseStateJson, stateText, type StateJson } from './state-json.ts';

export { CHECKPOINT_FORMAT } from './state-json.ts';


export interface CheckpointHistory {
  rounds: RoundRecord[];
  validation: Array<{ round: number; bpb: number }>;
}

export interface CheckpointState {
  runId: string;
  config: StlmConfig;
  /** The run's settings; `token` and `adminToken` are removed before writing whatever the caller passes. */
  settings: Record<string, unknown>;
  state: {
    round: number;
    version: number;
    bytesProcessed: number;
    weights: Float32Array;
    /** AdamW's or outer Nesterov's, tagged by kind; validated when loaded (optimizer/state-file.ts). */
    optimizer: OptimizerState;
  };
  dataCursor: DatasetCursor;
  history?: CheckpointHistory;
  /** Filled by the consolidation step (pruning + quantization); free-form JSON. */
  consolidation?: unknown;
  /** Gradual pruning's schedule step and keep masks (JSON, masks as base64 bits); absent for one-shot runs. */
  pruning?: unknown;
  /** Default: modelManifest(config). */
  manifest?: ParamManifest;
}

export interface LoadedCheckpoint extends CheckpointState {
  path: string;
  manifest: ParamManifest;
  savedAt: string;
}

/** What consolidation reads of a checkpoint. */
export interface DenseCheckpoint {
  /** The dense weights file read. */
  file: string;
  dense: WeightsFile;
  /** state.json's settings, {} without one. */
  settings: Record<string, unknown>;
  /** state.json's round, else the one in the directory's name, else null. */
  round: number | null;
}


/** A checkpoint's files in the order they are written: state.json last, so a directory without it is never
 * mistaken for a checkpoint. */
export function encodeCheckpoint(s: CheckpointState): Array<[name: string, data: Uint8Array | string]> {
  const { round, version, bytesProcessed, weights, optimizer } = s.state;
  if (!Number.isInteger(round) || round < 0) throw new Error(`checkpoint: bad round ${round}`);
  const manifest = s.manifest ?? modelManifest(s.config);
  const weightsBytes = encodeWeightsFile({ config: s.config, weights, manifest, meta: { runId: s.runId, round, modelVersion: version } });
  const optimizerBytes = encodeOptimizerFile(optimizer);
  const { token: _t, adminToken: _a, ...settings } = s.settings;
  const state: StateJson = {
    format: CHECKPOINT_FORMAT,
    runId: s.runId,
    round,
    modelVersion: version,
    bytesProcessed,
    savedAt: new Date().toISOString(),
    config: s.config,
    settings,
    dataCursor: s.dataCursor,
    history: s.history ?? { rounds: [], validation: [] },
    consolidation: s.consolidation ?? null,
    ...(s.pruning ? { pruning: s.pruning } : {}),
    files: {
      [WEIGHTS_FILE]: { bytes: weightsBytes.length, crc32: crc32(weightsBytes) },
      [OPTIMIZER_FILE]: { bytes: optimizerBytes.length, crc32: crc32(optimizerBytes) },
    },
  };
  return [[WEIGHTS_FILE, weightsBytes], [OPTIMIZER_FILE, optimizerBytes], [STATE_FILE, stateText(state)]];
}

/** Loads and checks one checkpoint directory; throws a clear error for anything missing or corrupt. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  let text: string;
  try {
    text = await readFile(path.join(dir, STATE_FILE), 'utf8');
  } catch (e) {
    throw new Error(`${STATE_FILE} unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let state: StateJson;
  try {
    state = parseStateJson(text);
  } catch (e) {
    throw new Error(`${STATE_FILE}: ${(e as Error).message}`);
  }
  const [weightsBytes, optimizerBytes] = await Promise.all([WEIGHTS_FILE, OPTIMIZER_FILE].map((f) => readChecked(dir, f, state.files)));
  const w = decodeWeightsFile(weightsBytes!);
  const config = configFromFile(state.config);
  const manifest = modelManifest(config);
  if (!sameManifest(w.manifest, manifest)) throw new Error(`${WEIGHTS_FILE}: parameter layout does not match the checkpoint's config`);
  return {
    path: dir,
    runId: state.runId,
    savedAt: state.savedAt,
    config,
    settings: state.settings,
    manifest,
    state: {
      round: state.round,
      version: state.modelVersion,
      bytesProcessed: state.bytesProcessed,
      weights: w.weights,
      optimizer: decodeOptimizerFile(optimizerBytes!),
    },
    dataCursor: state.dataCursor,
    history: state.history,
    consolidation: state.consolidation ?? undefined,
    pruning: state.pruning ?? undefined,
  };
}

/** The dense weights and what consolidation needs of state.json, read leniently: a directory holding only a
 * weights file (or a state.json without the checks) consolidates too, as it always has. */
export async function readDenseCheckpoint(dir: string): Promise<DenseCheckpoint> {
  const file = path.join(dir, WEIGHTS_FILE);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch {
    throw new Error(`checkpoint ${dir} has no readable ${WEIGHTS_FILE}`);
  }
  let dense;
  try {
    dense = decodeWeightsFile(bytes);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const state = await readStateJson(dir);
  const settings = (state?.settings ?? {}) as Record<string, unknown>;
  const round = typeof state?.round === 'number' ? state.round : namedRound(dir);
  return { file, dense, settings, round };
}

/** state.json's text with its `consolidation` field replaced; null when the checkpoint has none. */
export async function stateWithConsolidation(dir: string, consolidation: unknown): Promise<string | null> {
  const state = await readStateJson(dir);
  return state ? stateText({ ...state, consolidation: consolidation ?? null }) : null;
}

async function readStateJson(dir: string): Promise<Record<string, unknown> | null> {
  const file = path.join(dir, STATE_FILE);
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

async function readChecked(dir: string, file: string, files: StateJson['files'] | undefined): Promise<Uint8Array> {
  const expected = files?.[file];
  if (!expected) throw new Error(`${STATE_FILE} does not describe ${file}`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path.join(dir, file)));
  } catch (e) {
    throw new Error(`${file} unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (bytes.length !== expected.bytes) throw new Error(`${file}: ${bytes.length} bytes, expected ${expected.bytes} (truncated?)`);
  if (crc32(bytes) !== expected.crc32) throw new Error(`${file}: checksum mismatch, the file is corrupt`);
  return bytes;
}
