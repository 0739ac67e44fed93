// `npm run bench:model`: training speed of the `small` STLM on tfjs-wasm, in one process, JSON on stdout.
// Measures the fast (custom-gradient) step, the backend's plain matMul peak on the step's own dense shapes
// and on 512^3, and the same model trained with plain tfjs autograd, so every ratio is within one run.
// Then a peer's round on the main thread against 1 and 2 worker threads (threadSpeedup, wall clock).
// Options: --preset NAME (small), --batch N (8), --steps N (5), --plain-steps N (2), --backend NAME (wasm),
// --thread-blocks N (3 interleaved blocks of --steps steps per thread configuration).
import * as tf from '@tensorflow/tfjs';
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { measureThreads } from './model-threads.ts';
import { loadCorpus } from '../data/corpus.ts';
import { DEFAULT_PRESET, LocalTrainer, StlmModel, resolveConfig, setupBackend, splitIntoExamples, type BackendName } from '../model/index.ts';
import { FLOP_COUNTING_METHOD, denseStepShapes, trainingFlops } from '../model/flops.ts';
import { countChunks } from '../model/bytes.ts';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: DEFAULT_PRESET },
    batch: { type: 'string', default: '8' },
    steps: { type: 'string', default: '5' },
    'plain-steps': { type: 'string', default: '2' },
    backend: { type: 'string', default: 'wasm' },
    'thread-blocks': { type: 'string', default: '3' },
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
// The timed steps' batches are fixed, so their scored bytes (the rows the tied head runs on) are known.
const scoredPerStep = Array.from({ length: steps }, (_, i) => batchAt(i + 1).reduce((s, e) => s + e.length, 0))
  .reduce((a, b) => a + b, 0) / steps;
const flops = trainingFlops(cfg, batchSize, cfg.contextChunks, scoredPerStep);
const schedule = { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 10, totalSteps: 1000 };

// Two clocks. The benchmark machines are shared (other processes compete for the cores), so the headline
// figures use this process's CPU time (tfjs-wasm runs on one thread in Node); wall-clock figures sit beside.
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const wallSeconds = () => performance.now() / 1000;

interface StepTiming { cpuPerStep: number; wallPerStep: number; bytesPerStep: number; losses: number[]; cpuSteps: number[] }

/**
 * Mean time and scored bytes per LocalTrainer step (gradient + AdamW + weight write-back).
 * `beforeEach` runs untimed before every timed step (the interleaved peak measurement).
 */
function timeSteps(ops: 'fast' | 'plain', n: number, beforeEach?: () => void): StepTiming {
  const model = StlmModel.create(cfg, 1, { ops });
  const trainer = new LocalTrainer({ model, schedule });
  trainer.step(batchAt(0)); // warm-up: first-call allocations
  let bytes = 0;
  let cpu = 0;
  let wall = 0;
  const losses: number[] = [];
  const cpuSteps: number[] = [];
  for (let i = 1; i <= n; i++) {
    beforeEach?.();
    const cpu0 = cpuSeconds();
    const wall0 = wallSeconds();
    const r = trainer.step(batchAt(i));
    const dc = cpuSeconds() - cpu0;
    cpu += dc;
    wall += wallSeconds() - wall0;
    cpuSteps.push(dc);
    bytes += r.bytes;
    losses.push(r.loss);
  }
  model.dispose();
  return { cpuPerStep: cpu / n, wallPerStep: wall / n, bytesPerStep: bytes / n, losses, cpuSteps };
}

/** Best-of-trials GFLOP/s of a plain matMul [m,k]x[k,n], on both clocks. */
function matMulGflops(m: number, k: number, n: number): { cpu: number; wall: number } {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const flop = 2 * m * k * n;
  const reps = Math.max(1, Math.ceil(3e8 / flop));
  let bestCpu = Infinity;
  let bestWall = Infinity;
  for (let trial = 0; trial < 4; trial++) {
    const cpu0 = cpuSeconds();
    const wall0 = wallSeconds();
    for (let r = 0; r < reps; r++) tf.matMul(a, b).dispose();
    if (trial === 0) continue; // warm-up
    bestCpu = Math.min(bestCpu, (cpuSeconds() - cpu0) / reps);
    bestWall = Math.min(bestWall, (wallSeconds() - wall0) / reps);
  }
  tf.dispose([a, b]);
  return { cpu: flop / bestCpu / 1e9, wall: flop / bestWall / 1e9 };
}

log(`bench:model preset ${args.preset}, backend ${backend}, batch ${batchSize} x ${cfg.contextChunks} chunks`);
// Peak: best plain matMul over 512^3 and every dense shape the step runs.
const shapes: Array<[number, number, number]> = [[512, 512, 512], ...denseStepShapes(cfg, batchSize, cfg.contextChunks, scoredPerStep)];
const peaks = shapes.map(([m, k, n]) => ({ shape: `${m}x${k}x${n}`, dims: [m, k, n] as const, ...matMulGflops(m, k, n) }));
const peak = peaks.reduce((a, b) => (b.cpu > a.cpu ? b : a));
const peakWall = Math.max(...peaks.map((p) => p.wall));
log(`peak matMul: ${peak.cpu.toFixed(1)} GFLOP/s at ${peak.shape}`);
// Other jobs share the machine and slow everything down together, so the peak shape is measured again right
// before each timed step; MFU is also reported per step against that neighbouring peak (median).
const nearPeaks: number[] = [];
const fast = timeSteps('fast', steps, () => nearPeaks.push(matMulGflops(...peak.dims).cpu));
log(`fast: ${(fast.cpuPerStep * 1000).toFixed(0)} ms/step CPU, ${(fast.wallPerStep * 1000).toFixed(0)} ms wall`);
const plain = timeSteps('plain', plainSteps);
log(`plain autograd: ${(plain.cpuPerStep * 1000).toFixed(0)} ms/step CPU`);
const threads = await measureThreads(cfg, batchAt, { blocks: Number(args['thread-blocks']), stepsPerBlock: steps, log });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mfuPerStep = fast.cpuSteps.map((t, i) => flops.total / t / 1e9 / nearPeaks[i]);

const gflops = flops.total / fast.cpuPerStep / 1e9;
const gflopsWall = flops.total / fast.wallPerStep / 1e9;
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
      clock: 'process CPU time (one tfjs-wasm thread; the machine is shared); wall-clock figures under "wallClock"',
      bytesPerSecond: round(fast.bytesPerStep / fast.cpuPerStep, 1),
      gflops: round(gflops),
      peakGflops: round(peak.cpu),
      mfu: round(gflops / peak.cpu),
      mfuAgainstNeighbouringPeak: {
        median: round(median(mfuPerStep)),
        perStep: mfuPerStep.map((x) => round(x)),
        peakGflopsPerStep: nearPeaks.map((x) => round(x, 2)),
      },
      speedupVsPlainAutograd: round(plain.cpuPerStep / fast.cpuPerStep),
      threadSpeedup: threads.threadSpeedup,
      threads: { ...threads, cores: availableParallelism(), clock: 'wall clock, interleaved blocks', step: 'new weights to every replica, then the gradient (a sync round on a peer)' },
      stepSeconds: round(fast.cpuPerStep),
      plainAutogradStepSeconds: round(plain.cpuPerStep),
      plainAutogradBytesPerSecond: round(plain.bytesPerStep / plain.cpuPerStep, 1),
      wallClock: {
        bytesPerSecond: round(fast.bytesPerStep / fast.wallPerStep, 1),
        gflops: round(gflopsWall),
        peakGflops: round(peakWall),
        mfu: round(gflopsWall / peakWall),
        speedupVsPlainAutograd: round(plain.wallPerStep / fast.wallPerStep),
        stepSeconds: round(fast.wallPerStep),
        plainAutogradStepSeconds: round(plain.wallPerStep),
      },
      batch: { examples: batchSize, chunks: cfg.contextChunks, scoredBytesPerStep: fast.bytesPerStep },
      flopsPerStep: flops.total,
      flopCounting: FLOP_COUNTING_METHOD,
      peakShape: peak.shape,
      peakCandidates: 'best of 512x512x512 and every dense shape the step runs (forward, input and weight gradients)',
      matMulGflopsByShape: Object.fromEntries(peaks.map((p) => [p.shape, round(p.cpu, 2)])),
      losses: { fast: fast.losses.map((l) => round(l, 4)), plain: plain.losses.map((l) => round(l, 4)) },
      steps: { fast: steps, plain: plainSteps, timed: 'LocalTrainer.step: gradient + AdamW + weight write-back, after 1 warm-up step' },
      parameters: counts,
      config: cfg,
      node: process.version,
    },
    null,
    2,
  ),
);
