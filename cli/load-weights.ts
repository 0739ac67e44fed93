// Loads a weights file from disk into a model, with errors that name the file.
import { readFile } from 'node:fs/promises';
import { StlmModel, decodeWeightsFile, type WeightsFile } from '../model/index.ts';

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
  const model = StlmModel.create(file.config, 0);
  model.setWeights(file.weights);
  return { model, file };
}
