// LocalTrainer is the reference for distributed training: it must be deterministic, and splitting a batch
// across "peers" whose gradients are averaged weighted by scored bytes must give the same step.
import { beforeAll, expect, it } from 'vitest';
import { setupBackend } from './backend.ts';
import { resolveConfig } from './config.ts';
import { splitIntoExamples, textToBytes } from './bytes.ts';
import { StlmModel } from './stlm.ts';
import { LocalTrainer } from './trainer.ts';
import { AdamW } from './adamw.ts';
import { learningRate } from './schedule.ts';
import { decayMaskFromManifest } from './params.ts';

const cfg = resolveConfig('tiny');
const examples = splitIntoExamples(
  textToBytes('Peers train one model together. Each sends a gradient; the coordinator averages them.\n'.repeat(8)),
  cfg,
);
const schedule = { maxLr: 2e-3, minLr: 2e-4, warmupSteps: 2, totalSteps: 6 };
const batches = [0, 1, 2, 3, 4].map((s) => [0, 1, 2, 3].map((i) => examples[(s * 4 + i) % examples.length]));

beforeAll(async () => {
  await setupBackend('wasm');
});

it('same seed and batches give bit-identical losses and weights', () => {
  const run = () => {
    const model = StlmModel.create(cfg, 11);
    const trainer = new LocalTrainer({ model, schedule });
    const losses = batches.map((b) => trainer.step(b).loss);
    const w = model.getWeights();
    model.dispose();
    return { losses, w };
  };
  const a = run();
  const b = run();
  expect(a.losses).toEqual(b.losses);
  expect(new Uint32Array(a.w.buffer)).toEqual(new Uint32Array(b.w.buffer));
  expect(a.losses[4]).toBeLessThan(a.losses[0]);
});

it('a batch split over two peers, gradients averaged by scored bytes, matches the local step', () => {
  const local = StlmModel.create(cfg, 11);
  const trainer = new LocalTrainer({ model: local, schedule });
  const peerA = StlmModel.create(cfg, 11);
  const peerB = StlmModel.create(cfg, 11);
  const opt = new AdamW(local.numParams, { decayMask: decayMaskFromManifest(local.manifest) });
  const weights = peerA.getWeights();
  for (let s = 0; s < batches.length; s++) {
    const ref = trainer.step(batches[s]);
    const ga = peerA.trainStep(batches[s].slice(0, 1));
    const gb = peerB.trainStep(batches[s].slice(1));
    const total = ga.bytes + gb.bytes;
    expect(total).toBe(ref.bytes);
    expect((ga.loss * ga.bytes + gb.loss * gb.bytes) / total).toBeCloseTo(ref.loss, 4);
    const avg = new Float32Array(weights.length);
    for (let i = 0; i < avg.length; i++) avg[i] = (ga.grads[i] * ga.bytes + gb.grads[i] * gb.bytes) / total;
    opt.step(weights, avg, learningRate(s, schedule));
    peerA.setWeights(weights);
    peerB.setWeights(weights);
  }
  const lw = local.getWeights();
  let worst = 0;
  for (let i = 0; i < lw.length; i++) worst = Math.max(worst, Math.abs(lw[i] - weights[i]));
  expect(worst).toBeLessThan(1e-4);
  for (const m of [local, peerA, peerB]) m.dispose();
});
