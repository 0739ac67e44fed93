// `npm run bench:consolidate`: what pruning and int8 quantization cost in quality, JSON on stdout.
//  1. Trains the tiny preset on the default corpus (nlp-corpus) for --steps steps; the last --val examples of
//     the corpus are held out for validation.
//  2. Continues training for --continue steps, (a) dense, and (b) for each sparsity 0.25/0.5/0.75 with the
//     gradual schedule (Zhu & Gupta cubic over --span consolidations, masks applied after every optimizer step).
//  3. Rows: one-shot = the dense model after both phases, pruned + quantized at once (same total steps as the
//     gradual runs); gradual = the masked run consolidated at its final sparsity. sizeRatio = file / fp32 dense.
// Flags: --steps N (default 1200), --continue N (default 400), --span N (default 4), --batch N (default 16),
//        --val N (default 256), --seed N (default 1).
import { setupBackend } from '../model/backend.ts';
import { resolveConfig } from '../model/config.ts';
import { bytesToText, splitIntoExamples } from '../model/bytes.ts';
import { StlmModel } from '../model/stlm.ts';
import { LocalTrainer } from '../model/trainer.ts';
import { AdamW, type AdamWState } from '../model/adamw.ts';
import { learningRate, type LrSchedule } from '../model/schedule.ts';
import { decayMaskFromManifest } from '../model/params.ts';
import { bitsPerByte } from '../model/evaluate.ts';
import { generate } from '../model/generate.ts';
import { Prng } from '../model/prng.ts';
import { consolidate, loadConsolidated, type QuantMode } from '../model/compress/consolidate.ts';
import { PruneSchedule } from '../model/compress/schedule.ts';
import type { SparsityTarget } from '../model/compress/prune.ts';
import { loadCorpus } from '../data/corpus.ts';

const args = process.argv.slice(2);
const intFlag = (name: string, dflt: number): number => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const n = Number(args[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${args[i + 1]}"`);
  return n;
};
const STEPS = intFlag('steps', 1200);
const CONTINUE = intFlag('continue', 400);
const SPAN = intFlag('span', 4);
const BATCH = intFlag('batch', 16);
const VAL = intFlag('val', 256);
const SEED = intFlag('seed', 1);
const progress = (msg: string) => process.stderr.write(`[bench:consolidate] ${msg}\n`);

export interface BenchRow {
  sparsity: SparsityTarget;
  quant: QuantMode;
  schedule: 'oneshot' | 'gradual';
  sizeRatio: number;
  sizeBytes: number;
  bpb: number;
  /** bpb minus the dense fp32 model's bpb after the same number of training steps. */
  bpbDelta: number;
  overallSparsity: number;
}

const started = Date.now();
await setupBackend('wasm');
const cfg = resolveConfig('tiny');
const corpus = await loadCorpus();
const examples = splitIntoExamples(corpus.bytes, cfg);
const train = examples.slice(0, -VAL);
const validation = examples.slice(-VAL);
const schedule: LrSchedule = { maxLr: 3e-3, minLr: 3e-4, warmupSteps: 50, totalSteps: STEPS + CONTINUE };
progress(`${corpus.name}: ${train.length} training and ${validation.length} validation examples; tiny preset`);

const batchAt = (rng: Prng) => Array.from({ length: BATCH }, () => train[Math.floor(rng.next() * train.length)]!);
const model = StlmModel.create(cfg, SEED);
const bpbOf = (weights: Float32Array) => {
  model.setWeights(weights);
  return bitsPerByte(model, validation, 32);
};

// Phase 1: the base model.
const trainer = new LocalTrainer({ model, schedule });
const rng = new Prng(SEED);
for (let s = 0; s < STEPS; s++) {
  const r = trainer.step(batchAt(rng));
  if ((s + 1) % 200 === 0) progress(`step ${s + 1}/${STEPS} loss ${(r.loss / Math.LN2).toFixed(3)} bits/byte`);
}
const base = model.getWeights();
const baseOptimizer = trainer.optimizer.exportState();
const baseBpb = bpbOf(base);
progress(`base model: validation ${baseBpb.toFixed(4)} bpb after ${STEPS} steps`);

/** Continues from the base model for CONTINUE steps (same batches for every run); `prune` re-masks the
 * weights at SPAN evenly spaced consolidations and after every optimizer step. */
function continueTraining(prune: PruneSchedule | null): Float32Array {
  const weights = base.slice();
  const opt = new AdamW(model.numParams, { decayMask: decayMaskFromManifest(model.manifest) });
  opt.importState(baseOptimizer as AdamWState);
  const every = Math.max(1, Math.floor(CONTINUE / SPAN));
  const r = new Prng(SEED + 1);
  for (let s = 0; s < CONTINUE; s++) {
    if (prune && s % every === 0 && !prune.done) prune.advance(weights, model.manifest);
    model.setWeights(weights);
    const { grads } = model.trainStep(batchAt(r));
    opt.step(weights, grads, learningRate(STEPS + s, schedule));
    prune?.apply(weights);
  }
  return weights;
}

function row(weights: Float32Array, sparsity: SparsityTarget, quant: QuantMode, sched: BenchRow['schedule'], denseBpb: number): BenchRow {
  const { file, report } = consolidate(weights, model.manifest, cfg, { sparsity, quant });
  const bpb = bpbOf(loadConsolidated(file).weights);
  progress(`${sched} sparsity ${sparsity} ${quant}: size ${(report.sizeRatio * 100).toFixed(1)}% bpb ${bpb.toFixed(4)}`);
  return {
    sparsity, quant, schedule: sched, sizeRatio: report.sizeRatio, sizeBytes: report.sizeBytes, bpb, bpbDelta: bpb - denseBpb,
    overallSparsity: report.overallSparsity,
  };
}

// Phase 2a: dense continuation, then one-shot consolidation at every setting.
const dense = continueTraining(null);
const denseBpb = bpbOf(dense);
progress(`dense after ${STEPS + CONTINUE} steps: ${denseBpb.toFixed(4)} bpb`);
const rows: BenchRow[] = [];
for (const sparsity of [0, 0.25, 0.5, 0.75, '2:4'] as const) {
  for (const quant of ['fp32', 'int8'] as const) rows.push(row(dense, sparsity, quant, 'oneshot', denseBpb));
}

// Phase 2b: gradual pruning during the continuation.
for (const target of [0.25, 0.5, 0.75]) {
  const prune = new PruneSchedule({ target, span: SPAN });
  const w = continueTraining(prune);
  for (const quant of ['fp32', 'int8'] as const) rows.push(row(w, target, quant, 'gradual', denseBpb));
}

// A consolidated model generates text: greedy continuation from the 50% + int8 one-shot file.
const prompt = 'The ';
const sample = (weights: Float32Array) => {
  model.setWeights(weights);
  return prompt + bytesToText(generate(model, prompt, { maxBytes: 60, temperature: 0, topK: 0, seed: 1 }));
};
const consolidated = loadConsolidated(consolidate(dense, model.manifest, cfg, { sparsity: 0.5, quant: 'int8' }).file).weights;
const samples = { dense: sample(dense), consolidated50Int8: sample(consolidated) };
model.dispose();

console.log(JSON.stringify({
  bench: 'consolidate', preset: 'tiny', corpus: corpus.name, numParams: model.numParams,
  trainSteps: STEPS, continueSteps: CONTINUE, span: SPAN, batch: BATCH, validationExamples: validation.length,
  baseBpb, denseBpb, rows, samples, seconds: (Date.now() - started) / 1000,
}, null, 2));
