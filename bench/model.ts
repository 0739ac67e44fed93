// `npm run bench:model`: training speed of the `small` STLM on tfjs-wasm, in one process, JSON on stdout.
// Measures the fast (custom-gradient) step, the backend's plain matMul peak on the step's own dense shapes
// and on 512^3, and the same model trained with plain tfjs autograd, so every ratio is within one run.
// Options: --preset NAME (small), --batch N (8), --steps N (5), --plain-steps N (2), --backend NAME (wasm).
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { loadCorpus } from '../coordinator/corpus.ts';
import { LocalTrainer, StlmModel, resolveConfig, setupBackend, splitIntoExamples, type BackendName } from '../model/index.ts';
import { FLOP_COUNTING_METHOD, denseStepShapes, trainingFlops } from '../model/flops.ts';
import { countChunks } from '../model/bytes.ts';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'small' },
    batch: { type: 'string', default: '8' },
    steps: { type: 'string', default: '5' },
    'plain-steps': { type: 'string', default: '2' },
    backend: { type: 'string', default: 'wasm' },
  },
});
const batchSize = Number(args.batch);
const steps = Number(args.steps);
const plainSteps = Number(args['plain-steps']);
const log = (msg: string) => process.stderr.write(`${msg}\n`);

const backend = await setupBackend(args.backend as BackendName);
const cfg = resolveConfig(args.preset);
const corpus = await loadCorpus();
// Full-context examples only, so every step has the same shape and the same FLOPs.
const examples = splitIntoExamples(corpus.bytes.subarray(0, 4_000_000), cfg).filter(
  (e) => countChunks(e, cfg.chunkBytes) === cfg.contextChunks,
);
const batchAt = (i: number) => Array.from({ length: batchSize }, (_, j) => examples[(i * batchSize + j) % examples.length]);
const flops = trainingFlops(cfg, batchSize, cfg.contextChunks);
const schedule = { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 1000 };

/** Mean seconds and scored bytes per LocalTrainer step (gradient + AdamW + weight write-back). */
function timeSteps(ops: 'fast' | 'plain', n: number): { secondsPerStep: number; bytesPerStep: number; losses: number[] } {
  const model = StlmModel.create(cfg, 1, { ops });
  const trainer = new LocalTrainer({ model, schedule });
  trainer.step(batchAt(0)); // warm-up: first-call allocations
  let bytes = 0;
  const losses: number[] = [];
  const start = performance.now();
  for (let i = 1; i <= n; i++) {
    const r = trainer.step(batchAt(i));
    bytes += r.bytes;
    losses.push(r.loss);
  }
  const seconds = (performance.now() - start) / 1000;
  model.dispose();
  return { secondsPerStep: seconds / n, bytesPerStep: bytes / n, losses };
}

/** Best-of-3 GFLOP/s of a plain matMul [m,k]x[k,n]. */
function matMulGflops(m: number, k: number, n: number): number {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const reps = Math.max(1, Math.ceil(2e8 / (2 * m * k * n)));
  let best = Infinity;
  for (let trial = 0; trial < 4; trial++) {
    const start = performance.now();
    for (let r = 0; r < reps; r++) tf.matMul(a, b).dispose();
    const ms = (performance.now() - start) / reps;
    if (trial > 0) best = Math.min(best, ms);
  }
  tf.dispose([a, b]);
  return (2 * m * k * n) / (best / 1000) / 1e9;
}

log(`bench:model preset ${args.preset}, backend ${backend}, batch ${batchSize} x ${cfg.contextChunks} chunks`);
const fast = timeSteps('fast', steps);
log(`fast: ${(fast.secondsPerStep * 1000).toFixed(0)} ms/step`);
const shapes: Array<[number, number, number]> = [[512, 512, 512], ...denseStepShapes(cfg, batchSize, cfg.contextChunks)];
const peaks = shapes.map(([m, k, n]) => ({ shape: `${m}x${k}x${n}`, gflops: matMulGflops(m, k, n) }));
const peak = peaks.reduce((a, b) => (b.gflops > a.gflops ? b : a));
log(`peak matMul: ${peak.gflops.toFixed(1)} GFLOP/s at ${peak.shape}`);
const plain = timeSteps('plain', plainSteps);
log(`plain autograd: ${(plain.secondsPerStep * 1000).toFixed(0)} ms/step`);

const gflops = flops.total / fast.secondsPerStep / 1e9;
const model = StlmModel.create(cfg, 1);
const counts = model.parameterCounts();
model.dispose();
const round = (x: number, d = 3) => Number(x.toFixed(d));
console.log(
  JSON.stringify(
    {
      bench: 'model',
      preset: args.preset,
      backend,
      bytesPerSecond: round(fast.bytesPerStep / fast.secondsPerStep, 1),
      gflops: round(gflops),
      peakGflops: round(peak.gflops),
      mfu: round(gflops / peak.gflops),
      speedupVsPlainAutograd: round(plain.secondsPerStep / fast.secondsPerStep),
      stepSeconds: round(fast.secondsPerStep),
      plainAutogradStepSeconds: round(plain.secondsPerStep),
      plainAutogradBytesPerSecond: round(plain.bytesPerStep / plain.secondsPerStep, 1),
      batch: { examples: batchSize, chunks: cfg.contextChunks, scoredBytesPerStep: fast.bytesPerStep },
      flopsPerStep: flops.total,
      flopCounting: FLOP_COUNTING_METHOD,
      peakShape: peak.shape,
      matMulGflopsByShape: Object.fromEntries(peaks.map((p) => [p.shape, round(p.gflops, 2)])),
      steps: { fast: steps, plain: plainSteps, timed: 'LocalTrainer.step: gradient + AdamW + weight write-back, after 1 warm-up step' },
      parameters: counts,
      config: cfg,
      node: process.version,
    },
    null,
    2,
  ),
);
