import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from './backend.ts';
import { resolveConfig } from './config.ts';
import { splitIntoExamples, textToBytes } from './bytes.ts';
import { StlmModel } from './stlm.ts';
import { LocalTrainer } from './trainer.ts';
import { bitsPerByte } from './evaluate.ts';
import { runBudgeted } from './budgeted-run.ts';

const cfg = resolveConfig('tiny');
const examples = splitIntoExamples(textToBytes('Bytes in, bytes out; chunks in between. '.repeat(40)), cfg);

beforeAll(async () => {
  await setupBackend('wasm');
});

function setup() {
  const model = StlmModel.create(cfg, 3);
  const trainer = new LocalTrainer({ model, schedule: { maxLr: 1e-2, minLr: 1e-3, warmupSteps: 2, totalSteps: Infinity } });
  let i = 0;
  return { model, trainer, nextBatch: () => [examples[i++ % examples.length]!, examples[i++ % examples.length]!] };
}

it('stops at the time budget, scores at even shares of it with the clock paused, and decays over its last fifth', async () => {
  const { model, trainer, nextBatch } = setup();
  // A clock that advances 1 s per step and 100 s per evaluation: evaluation must not count.
  let clock = 0;
  let evaluating = false;
  const lrs: number[] = [];
  const r = await runBudgeted({
    trainer, nextBatch, seconds: 10, evaluations: 2,
    now: () => (evaluating ? clock : clock++),
    evaluate: () => {
      evaluating = true;
      clock += 100;
      const bpb = bitsPerByte(model, examples.slice(0, 2));
      evaluating = false;
      return bpb;
    },
    onStep: (s) => lrs.push(s.lr),
  });
  expect(r.steps).toBe(10);
  expect(r.seconds).toBe(10);
  expect(r.curve.map((p) => p.seconds)).toEqual([0, 5, 10]);
  expect(r.curve.map((p) => p.steps)).toEqual([0, 5, 10]);
  expect(r.curve[2]!.valBpb).toBeLessThan(r.curve[0]!.valBpb);
  // Held after warmup up to 80% of the budget (a step's rate is set by the share done before it)...
  expect(lrs.slice(2, 9).every((lr) => lr === 1e-2)).toBe(true);
  // ...then halfway down to minLr at 90%.
  expect(lrs[9]!).toBeCloseTo(5.5e-3, 12);
  model.dispose();
});

it('stops at a step budget, holds the rate with decay off, and leaks no tensors', async () => {
  const { model, trainer, nextBatch } = setup();
  const lrs: number[] = [];
  await runBudgeted({ trainer, nextBatch, steps: 3, evaluations: 1, evaluate: () => 0, onStep: (s) => lrs.push(s.lr) });
  const before = tf.memory().numTensors;
  const r = await runBudgeted({
    trainer, nextBatch, steps: 20, evaluations: 4, decay: false,
    evaluate: () => bitsPerByte(model, examples.slice(0, 1)), onStep: (s) => lrs.push(s.lr),
  });
  expect(tf.memory().numTensors).toBe(before);
  expect(r.steps).toBe(20);
  expect(r.curve).toHaveLength(5);
  expect(lrs.slice(3).every((lr) => lr === 1e-2)).toBe(true);
  await expect(runBudgeted({ trainer, nextBatch, evaluations: 1, evaluate: () => 0 })).rejects.toThrow(/seconds or steps/);
  model.dispose();
});
