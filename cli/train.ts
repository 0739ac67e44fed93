// `stlm train`: trains a preset locally (one process, no network) on a corpus for a wall-clock budget
// (--minutes) or a step count, scores the held-out tail along the way, and saves a weights file that
// `stlm generate` and `stlm eval` load. Defaults (batch, learning rate, warmup) come from the preset's recipe.
import type { Command } from 'commander';
import { writeFileAtomic } from '../coordinator/checkpoints/atomic-file.ts';
import {
  LocalTrainer, StlmModel, bitsPerByte, encodeWeightsFile, resolveConfig, setupBackend, type BackendName,
} from '../model/index.ts';
import { runBudgeted } from '../model/budgeted-run.ts';
import { RECIPES } from '../model/recipe.ts';
import { DEFAULT_PRESET, PRESET_NAMES, isPresetName } from '../model/config.ts';
import { cliAction, loadDataset, positiveInt, positiveNumber } from './dataset.ts';
import { TrainProgress } from './train-progress.ts';

export function register(program: Command): void {
  program
    .command('train')
    .description('train the STLM locally on a corpus and save its weights')
    .option('--preset <name>', `model preset: ${PRESET_NAMES.join(' | ')}`, DEFAULT_PRESET)
    .option('--corpus <source>', 'nlp-corpus (embedded), a .txt file, a directory of .txt, or a .jsonl file', 'nlp-corpus')
    .option('--minutes <m>', 'wall-clock training budget; the learning rate decays over its last fifth')
    .option('--steps <n>', 'training steps (default 200 unless --minutes is given; with both, whichever ends first)')
    .option('--batch <n>', "examples per step (default: the preset's recipe)")
    .option('--lr <x>', "peak learning rate (default: the preset's recipe)")
    .option('--warmup <n>', "warmup steps (default: the preset's recipe)")
    .option('--seed <n>', 'init and data-order seed', '1')
    .option('--evaluations <n>', 'held-out scores along the run (besides the one at the start)', '10')
    .option('--val-examples <n>', 'held-out examples scored each time (default: all of them)')
    .option('--backend <name>', 'tfjs backend: wasm | cpu', 'wasm')
    .option('--out <file>', 'weights file to write', 'stlm-weights.bin')
    .action(cliAction(async (o) => {
      if (!isPresetName(o.preset)) resolveConfig(o.preset); // throws the clear "unknown preset" error
      const recipe = RECIPES[o.preset as keyof typeof RECIPES];
      const minutes = o.minutes === undefined ? undefined : positiveNumber('minutes', o.minutes);
      const steps = o.steps !== undefined ? positiveInt('steps', o.steps) : minutes === undefined ? 200 : undefined;
      const batchSize = o.batch === undefined ? recipe.batch : positiveInt('batch', o.batch);
      const maxLr = o.lr === undefined ? recipe.maxLr : positiveNumber('lr', o.lr);
      const warmupSteps = o.warmup === undefined ? recipe.warmupSteps : positiveNumber('warmup', o.warmup, true);
      const evaluations = positiveInt('evaluations', o.evaluations);
      const seed = Number(o.seed);
      const backend = await setupBackend(o.backend as BackendName);
      const config = resolveConfig(o.preset);
      const { name, dataset } = await loadDataset(o.corpus, config, seed);
      const heldOut = dataset.validationExamples(o.valExamples === undefined ? undefined : positiveInt('val-examples', o.valExamples));
      const model = StlmModel.create(config, seed);
      const counts = model.parameterCounts();
      const stats = dataset.stats();
      console.log(
        `preset ${o.preset}: ${counts.total} parameters (${counts.untied} untied), backend ${backend}, corpus ${name}: ` +
          `${stats.trainBytes} training bytes, ${heldOut.length} held-out examples; batch ${batchSize}, lr ${maxLr}`,
      );
      const trainer = new LocalTrainer({
        model,
        schedule: { maxLr, minLr: maxLr * (recipe.minLr / recipe.maxLr), warmupSteps, totalSteps: Infinity },
      });
      const progress = new TrainProgress({ seconds: minutes === undefined ? undefined : minutes * 60, steps });
      const result = await runBudgeted({
        trainer,
        nextBatch: () => {
          const b = dataset.nextBatch(batchSize);
          dataset.complete(b.batchId);
          return b.examples;
        },
        seconds: minutes === undefined ? undefined : minutes * 60,
        steps,
        evaluations,
        evaluate: () => bitsPerByte(model, heldOut, 32),
        onStep: (r) => progress.step(r),
        onEvaluation: (p) => progress.evaluation(p),
        pause: () => new Promise((resolve) => setImmediate(resolve)),
      });
      progress.stop();
      const final = result.curve.at(-1)!;
      const file = encodeWeightsFile({
        config,
        weights: model.getWeights(),
        manifest: model.manifest,
        meta: {
          preset: o.preset, steps: result.steps, trainSeconds: result.seconds, corpus: name, valBpb: final.valBpb, seed,
          savedAt: new Date().toISOString(),
        },
      });
      // Atomic and fsynced, so an interrupted save never leaves a half-written weights file.
      await writeFileAtomic(o.out, file);
      console.log(
        `held-out ${final.valBpb.toFixed(3)} bpb after ${result.steps} steps, ${result.seconds.toFixed(0)} s of training ` +
          `(${Math.round(result.bytesSeen / result.seconds)} bytes/s); saved ${o.out} (${file.length} bytes)`,
      );
      model.dispose();
    }));
}
