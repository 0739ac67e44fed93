// Loads a model from whatever the user points at: a dense weights file (STLW), a consolidated file (STLQ), a
// checkpoint directory (its weights.stlm) or a run directory (its newest complete checkpoint). The kind is
// told by the file's magic bytes, not its name.
import { readFile, readdir, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { StlmModel } from '../model/stlm.ts';
import type { StlmConfig } from '../model/config.ts';
import { WEIGHTS_MAGIC, decodeWeightsFile } from '../model/weights-file.ts';
import { CONSOLIDATED_MAGIC } from '../model/compress/format.ts';
import { loadConsolidated } from '../model/compress/consolidate.ts';

export interface LoadedModel {
  model: StlmModel;
  config: StlmConfig;
  kind: 'dense' | 'consolidated';
  /** The file actually read. */
  file: string;
  meta: Record<string, unknown>;
}

const CKPT_RE = /^ckpt-(\d+)$/;

/** A checkpoint directory from a checkpoint or run directory: the run's newest one that is complete
 * (state.json is written last, so its presence means the checkpoint is whole). */
export async function resolveCheckpointDir(dir: string): Promise<string> {
  if (existsSync(path.join(dir, 'weights.stlm'))) return dir;
  const names = (await readdir(dir)).filter((n) => CKPT_RE.test(n) && existsSync(path.join(dir, n, 'state.json')));
  if (names.length === 0) throw new Error(`${dir}: neither a checkpoint (no weights.stlm) nor a run directory with checkpoints`);
  names.sort((a, b) => Number(CKPT_RE.exec(b)![1]) - Number(CKPT_RE.exec(a)![1]));
  return path.join(dir, names[0]);
}

/** The file a path designates: itself, or a checkpoint's dense weights. */
export async function resolveModelFile(p: string): Promise<string> {
  let info;
  try {
    info = await stat(p);
  } catch {
    throw new Error(`${p}: no such file or directory`);
  }
  return info.isDirectory() ? path.join(await resolveCheckpointDir(p), 'weights.stlm') : p;
}

/** Dense or consolidated weights from bytes, told apart by their magic. */
export function decodeAnyWeights(bytes: Uint8Array): { config: StlmConfig; weights: Float32Array; kind: LoadedModel['kind']; meta: Record<string, unknown> } {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic === WEIGHTS_MAGIC) {
    const f = decodeWeightsFile(bytes);
    return { config: f.config, weights: f.weights, kind: 'dense', meta: f.meta };
  }
  if (magic === CONSOLIDATED_MAGIC) {
    const f = loadConsolidated(bytes);
    return { config: f.config, weights: f.weights, kind: 'consolidated', meta: f.meta };
  }
  throw new Error(`not an STLM model file (magic "${magic}"; expected ${WEIGHTS_MAGIC} dense weights or ${CONSOLIDATED_MAGIC} consolidated)`);
}

export async function loadModel(p: string): Promise<LoadedModel> {
  const file = await resolveModelFile(p);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch {
    throw new Error(`cannot read model file ${file}`);
  }
  let decoded;
  try {
    decoded = decodeAnyWeights(bytes);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message}`);
  }
  const model = StlmModel.create(decoded.config, 0);
  model.setWeights(decoded.weights);
  return { model, config: decoded.config, kind: decoded.kind, file, meta: decoded.meta };
}
