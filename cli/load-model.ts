// Loads a model from whatever the user points at: a dense weights file (STLW), a consolidated file (STLQ), a
// checkpoint directory (its dense weights), a run directory (its newest complete checkpoint; the checkpoint
// store resolves directories) or a safetensors file `stlm export` wrote. The kind is told by the file's bytes,
// not its name.
import { readFile } from 'node:fs/promises';
import { StlmModel } from '../model/stlm.ts';
import type { StlmConfig } from '../model/config.ts';
import { WEIGHTS_MAGIC, decodeWeightsFile } from '../model/weights-file.ts';
import { CONSOLIDATED_MAGIC } from '../model/compress/format.ts';
import { loadConsolidated } from '../model/compress/consolidate.ts';
import { looksLikeSafetensors, stlmFromSafetensors } from '../model/safetensors-read.ts';
import { CheckpointStore } from '../coordinator/checkpoints/store.ts';

export interface LoadedModel {
  model: StlmModel;
  config: StlmConfig;
  kind: 'dense' | 'consolidated';
  /** The file actually read. */
  file: string;
  meta: Record<string, unknown>;
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
  if (looksLikeSafetensors(bytes)) return stlmFromSafetensors(bytes);
  throw new Error(`not an STLM model file (magic "${magic}"; expected ${WEIGHTS_MAGIC} dense weights, ${CONSOLIDATED_MAGIC} consolidated or safetensors)`);
}

export async function loadModel(p: string): Promise<LoadedModel> {
  const file = await CheckpointStore.resolveModelFile(p);
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
