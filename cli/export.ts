// `stlm export --format safetensors`: the model in a standard layout other frameworks load (docs/pytorch.md).
// Dense weights (a weights file, a checkpoint or a run directory) become F32 tensors; a consolidated
// model.stlmq keeps its int8 values and scales. Prints the reference figures a reimplementation must reproduce.
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { setupBackend, type BackendName } from '../model/backend.ts';
import { decodeWeightsFile, WEIGHTS_MAGIC } from '../model/weights-file.ts';
import { CONSOLIDATED_MAGIC, decodeConsolidated } from '../model/compress/format.ts';
import { consolidatedSafetensors, denseSafetensors } from '../model/safetensors.ts';
import { StlmModel } from '../model/stlm.ts';
import { bytesToText, splitIntoExamples, textToBytes } from '../model/bytes.ts';
import { CheckpointStore } from '../coordinator/checkpoints/store.ts';
import { decodeAnyWeights } from './load-model.ts';
import { cliAction } from './dataset.ts';

/** The fixed input docs/pytorch.md checks a reimplementation on. */
export const REFERENCE_TEXT = 'The quick brown fox jumps over the lazy dog.';

export interface ReferenceFigures {
  text: string;
  /** Log-probability (nats) of each of the first 8 bytes of the text given those before it. */
  firstByteLogProbs: number[];
  /** Summed log-probability (nats) of all the text's bytes. */
  logProbSum: number;
  bitsPerByte: number;
}

/** What our forward pass gives on REFERENCE_TEXT (as much of it as the model's context holds): the numbers a
 * PyTorch port of the same weights must match. */
export function referenceFigures(model: StlmModel): ReferenceFigures {
  const bytes = splitIntoExamples(textToBytes(REFERENCE_TEXT), model.config)[0];
  const [lp] = model.byteLogProbs([bytes]);
  const sum = lp.reduce((s, v) => s + v, 0);
  return {
    text: bytesToText(bytes),
    firstByteLogProbs: Array.from(lp.subarray(0, 8), (v) => Number(v.toFixed(5))),
    logProbSum: Number(sum.toFixed(4)),
    bitsPerByte: Number((-sum / bytes.length / Math.LN2).toFixed(5)),
  };
}

/** The safetensors bytes of a dense or consolidated STLM file, told apart by its magic. */
export function toSafetensors(bytes: Uint8Array): { kind: 'dense' | 'consolidated'; file: Uint8Array } {
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic === WEIGHTS_MAGIC) {
    const f = decodeWeightsFile(bytes);
    return { kind: 'dense', file: denseSafetensors(f.config, f.manifest, f.weights, f.meta) };
  }
  if (magic === CONSOLIDATED_MAGIC) return { kind: 'consolidated', file: consolidatedSafetensors(decodeConsolidated(bytes)) };
  throw new Error(`not an STLM model file (magic "${magic}")`);
}

export function register(program: Command): void {
  program
    .command('export')
    .description('write a model in a standard format (safetensors) for PyTorch and others; see docs/pytorch.md')
    .requiredOption('--weights <path>', 'dense weights file, consolidated model.stlmq, checkpoint directory or run directory')
    .requiredOption('--out <file>', 'the file to write')
    .option('--format <format>', 'output format: safetensors', 'safetensors')
    .option('--backend <name>', 'tfjs backend for the reference figures: wasm | cpu', 'wasm')
    .action(cliAction(async (o) => {
      if (o.format !== 'safetensors') throw new Error(`--format must be safetensors, got "${o.format}"`);
      const source = await CheckpointStore.resolveModelFile(o.weights);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(await readFile(source));
      } catch {
        throw new Error(`cannot read model file ${source}`);
      }
      let out;
      try {
        out = toSafetensors(bytes);
      } catch (e) {
        throw new Error(`${source}: ${(e as Error).message}`);
      }
      await writeFile(o.out, out.file);
      await setupBackend(o.backend as BackendName);
      const decoded = decodeAnyWeights(bytes);
      const model = StlmModel.fromWeights(decoded.config, decoded.weights);
      const reference = referenceFigures(model);
      model.dispose();
      console.log(JSON.stringify({ source, kind: out.kind, out: o.out, sizeBytes: out.file.length, reference }, null, 2));
    }));
}
