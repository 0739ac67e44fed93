// One run of bench:learning, in its own process (its own tfjs-wasm instance, one thread): trains a preset
// with its recipe (or overrides) on the corpus split for a wall-clock budget and prints one JSON line.
// Usage: node bin/run-ts.mjs bench/learning-run.ts --preset NAME [--config JSON] [--recipe JSON]
//        [--seconds S] [--evaluations N] [--corpus SRC] [--seed N]
import { parseArgs } from 'node:util';
import { loadCorpus } from '../data/corpus.ts';
import { Dataset } from '../data/dataset.ts';
import { splitExamples } from '../data/split.ts';
import { LocalTrainer, StlmModel, bitsPerByte, countChunks, resolveConfig, setupBackend } from '../model/index.ts';
import { runBudgeted } from '../model/budgeted-run.ts';
import { RECIPES, recipeSchedule, type TrainingRecipe } from '../model/recipe.ts';
import { DEFAULT_PRESET, isPresetName } from '../model/config.ts';

const { values: a } = parseArgs({
  options: {
    preset: { type: 'string', default: DEFAULT_PRESET },
    config: { type: 'string', default: '{}' },
    recipe: { type: 'string', default: '{}' },
    seconds: { type: 'string', default: '600' },
    evaluations: { type: 'string', default: '10' },
    corpus: { type: 'string', default: 'nlp-corpus' },
    seed: { type: 'string', default: '1' },
  },
});
if (!isPresetName(a.preset!)) throw new Error(`unknown preset ${a.preset}`);
const cfg = resolveConfig(a.preset, JSON.parse(a.config!));
const recipe: TrainingRecipe = { ...RECIPES[a.preset], ...JSON.parse(a.recipe!) };
const seed = Number(a.seed);
await setupBackend('wasm');
const corpus = await loadCorpus(a.corpus);
const split = splitExamples(corpus.bytes, cfg);
const data = new Dataset(split, { seed });
const model = StlmModel.create(cfg, seed);
const trainer = new LocalTrainer({
  model,
  schedule: recipeSchedule(recipe),
});
const cpu0 = process.cpuUsage();
let evalSeconds = 0;
// Padding: the share of byte slots (batch x chunks x P) that hold a real byte. The byte encoder and decoder
// run on every slot; the head and the loss only on the real ones.
let slots = 0;
let realBytes = 0;
const result = await runBudgeted({
  trainer,
  nextBatch: () => {
    const b = data.nextBatch(recipe.batch);
    data.complete(b.batchId);
    slots += b.examples.length * Math.max(...b.examples.map((e) => countChunks(e, cfg.chunkBytes))) * cfg.chunkBytes;
    realBytes += b.examples.reduce((n, e) => n + e.length, 0);
    return b.examples;
  },
  seconds: Number(a.seconds),
  evaluations: Number(a.evaluations),
  evaluate: () => {
    const t0 = performance.now();
    const bpb = bitsPerByte(model, split.heldOut, 32);
    evalSeconds += (performance.now() - t0) / 1000;
    return bpb;
  },
  onEvaluation: (p) => process.stderr.write(`[${a.preset}] ${p.seconds.toFixed(0)} s, ${p.steps} steps: ${p.valBpb.toFixed(3)} bpb\n`),
});
const cpu = process.cpuUsage(cpu0);
const final = result.curve.at(-1)!;
console.log(JSON.stringify({
  preset: a.preset,
  config: cfg,
  recipe,
  params: model.numParams,
  steps: result.steps,
  trainSeconds: result.seconds,
  evalSeconds,
  cpuSeconds: (cpu.user + cpu.system) / 1e6,
  bytesPerSecond: result.bytesSeen / result.seconds,
  slotFill: realBytes / slots,
  heldOutBytes: split.heldOut.reduce((s, e) => s + e.length, 0),
  curve: result.curve,
  finalBpb: final.valBpb,
}));
model.dispose();
