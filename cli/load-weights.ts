// Loads a weights file from disk into a model, with errors that name the file.
import { readFile } from 'node:fs/promises';
import { StlmModel, decodeWeightsFile, sameManifest, type WeightsFile } from '../model/index.ts';
import { modelManifest } from '../model/layout.ts';

const modelManifestOf = (file: WeightsFile) => modelManifest(file.config);

export async function loadModelFile(path: string): Promise<{ model: StlmModel; file: WeightsFile }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch {
    throw new Error(`cannot read weights file ${path}`);
  }
  let file: WeightsFile;
  try {
    file = decodeWeightsFile(bytes);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  if (!sameManifest(file.manifest, modelManifestOf(file))) {
    throw new Error(`${path}: its parameter layout does not match the model its config describes`);
  }
  return { model: StlmModel.fromWeights(file.config, file.weights), file };
}
