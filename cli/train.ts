// `stlm train`: trains a preset locally (one process, no network) on a corpus, prints loss and validation
// bits per byte, and saves a weights file that `stlm generate` and `stlm eval` load.
import type { Command } from 'commander';
import { writeFile, rename } from 'node:fs/promises';
import {
  LocalTrainer, StlmModel, bitsPerByte, encodeWeightsFile, resolveConfig, setupBackend, type BackendName,
} from '../model/index.ts';
import { cliAction, loadDataset, positiveInt, positiveNumber, shuffledOrder } from './dataset.ts';

export function register(program: Command): void {
  program
    .command('train')
    .description('train the STLM locally on a corpus and save its weights')
    .option('--preset <name>', 'model preset: tiny | small | stlm-50m', 'small')
    .option('--corpus <source>', 'nlp-corpus (embedded), a .txt file, a directory of .txt, or a .jsonl file', 'nlp-corpus')
    .option('--steps <n>', 'training steps', '200')
    .option('--batch <n>', 'examples per step', '8')
    .option('--lr <x>', 'peak learning rate', '2e-3')
    .option('--warmup <n>', 'warmup steps', '20')
    .option('--seed <n>', 'init and data-order seed', '1')
    .option('--eval-every <n>', 'validate every n steps', '50')
    .option('--val-examples <n>', 'validation examples used per evaluation', '32')
    .option('--backend <name>', 'tfjs backend: wasm | cpu', 'wasm')
    .option('--out <file>', 'weights file to write', 'stlm-weights.bin')
    .action(cliAction(async (o) => {
      const steps = positiveInt('steps', o.steps);
      const batchSize = positiveInt('batch', o.batch);
      const evalEvery = positiveInt('eval-every', o.evalEvery);
      const valCount = positiveInt('val-examples', o.valExamples);
      const maxLr = positiveNumber('lr', o.lr);
      const warmupSteps = Math.min(Number(o.warmup), steps);
      const seed = Number(o.seed);
      const backend = await setupBackend(o.backend as BackendName);
      const config = resolveConfig(o.preset);
      const data = await loadDataset(o.corpus, config, 0.01);
      const val = data.val.slice(0, valCount);
      const model = StlmModel.create(config, seed);
      const counts = model.parameterCounts();
      console.log(
        `preset ${o.preset}: ${counts.total} parameters (${counts.untied} untied), backend ${backend}, corpus ` +
          `${data.name}: ${data.train.length} train / ${data.val.length} validation examples`,
      );
      const trainer = new LocalTrainer({ model, schedule: { maxLr, minLr: maxLr / 10, warmupSteps, totalSteps: steps } });
      const order = shuffledOrder(data.train.length, seed);
      let cursor = 0;
      let bytes = 0;
      const start = performance.now();
      let lastBpb = bitsPerByte(model, val);
      console.log(`step 0: validation ${lastBpb.toFixed(3)} bpb`);
      for (let s = 1; s <= steps; s++) {
        const batch: Uint8Array[] = [];
        for (let i = 0; i < batchSize; i++) batch.push(data.train[order[cursor++ % order.length]]);
        const r = trainer.step(batch);
        bytes += r.bytes;
        const secs = (performance.now() - start) / 1000;
        if (s % 10 === 0 || s === steps) {
          console.log(
            `step ${s}: loss ${(r.loss / Math.LN2).toFixed(3)} bpb, lr ${r.lr.toExponential(2)}, ` +
              `grad norm ${r.gradNorm.toFixed(2)}, ${Math.round(bytes / secs)} bytes/s`,
          );
        }
        if (s % evalEvery === 0 || s === steps) {
          lastBpb = bitsPerByte(model, val);
          console.log(`step ${s}: validation ${lastBpb.toFixed(3)} bpb`);
        }
      }
      const file = encodeWeightsFile({
        config,
        weights: model.getWeights(),
        manifest: model.manifest,
        meta: { preset: o.preset, steps, corpus: data.name, valBpb: lastBpb, seed, savedAt: new Date().toISOString() },
      });
      // Write then rename, so an interrupted save never leaves a half-written weights file.
      await writeFile(`${o.out}.tmp`, file);
      await rename(`${o.out}.tmp`, o.out);
      console.log(`saved ${o.out} (${file.length} bytes)`);
      model.dispose();
    }));
}
