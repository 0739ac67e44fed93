// ThreadedModel (peer/core) with real Node worker threads, each with its own tfjs-wasm: the summed gradient of a batch split
// across workers is the one-thread gradient of the whole batch; workers do not leak tensors; a worker that
// dies mid-step is reported and its share is trained by the others, with the same result.
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../../model/backend.ts';
import { resolveConfig } from '../../model/config.ts';
import { StlmModel } from '../../model/stlm.ts';
import { splitIntoExamples, textToBytes } from '../../model/bytes.ts';
import { ThreadedModel } from '../core/threaded-model.ts';
import { nodeTrainWorkerPort, startNodeTrainWorker } from './node-train-worker.ts';

const config = resolveConfig('tiny');
const SEED = 11;
const TEXT = 'A swarm of small devices trains one small model together, one batch at a time. ';
const batch = splitIntoExamples(textToBytes(TEXT.repeat(40)), config).slice(0, 8);

/** Largest |a - b| over the largest |a|: the error relative to the gradient's scale. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return diff / scale;
}

// Float32 sums taken in another order (per share, then weighted) differ in the last bits only.
const GRAD_TOLERANCE = 1e-5;

describe('ThreadedModel', () => {
  let reference: StlmModel;
  const spawned: Worker[] = [];
  const lost: Array<{ index: number; threadsLeft: number }> = [];
  let model: ThreadedModel;

  beforeAll(async () => {
    await setupBackend('wasm');
    reference = StlmModel.create(config, SEED);
    const spawn = () => {
      const w = startNodeTrainWorker();
      spawned.push(w);
      return nodeTrainWorkerPort(w);
    };
    model = await ThreadedModel.create(config, SEED, {
      threads: 2,
      spawn,
      onWorkerLost: (index, _reason, threadsLeft) => lost.push({ index, threadsLeft }),
    });
  }, 60_000);

  afterAll(() => {
    model?.dispose();
    reference?.dispose();
  });

  it('starts from the seed weights and splits a batch into a gradient equal to one thread\'s', async () => {
    expect(model.threads).toBe(2);
    expect(model.backend).toBe('wasm');
    expect(model.getWeights()).toEqual(reference.getWeights());
    const one = reference.trainStep(batch);
    const two = await model.trainStep(batch);
    expect(two.bytes).toBe(one.bytes);
    expect(Math.abs(two.loss - one.loss) / one.loss).toBeLessThan(1e-6);
    expect(relativeError(one.grads, two.grads)).toBeLessThan(GRAD_TOLERANCE);
  });

  it('sends new weights to every replica and keeps every worker\'s tensor count flat', async () => {
    const w = reference.getWeights();
    const counts: number[][] = [];
    for (let step = 0; step < 12; step++) {
      const one = reference.trainStep(batch);
      for (let i = 0; i < w.length; i++) w[i] = w[i]! - 0.05 * one.grads[i]!;
      reference.setWeights(w);
      model.setWeights(w);
      const two = await model.trainStep(batch.slice(step % 3));
      const again = reference.trainStep(batch.slice(step % 3));
      expect(relativeError(again.grads, two.grads)).toBeLessThan(GRAD_TOLERANCE);
      counts.push(model.tensorCounts);
    }
    expect(counts.at(-1)).toEqual(counts[1]);
    expect(counts.at(-1)!.every((n) => n > 0)).toBe(true);
  });

  it('goes on with the other worker when one dies in the middle of a step', async () => {
    const expected = reference.trainStep(batch);
    const step = model.trainStep(batch);
    await spawned[0]!.terminate();
    const r = await step;
    expect(relativeError(expected.grads, r.grads)).toBeLessThan(GRAD_TOLERANCE);
    expect(lost).toEqual([{ index: 0, threadsLeft: 1 }]);
    expect(model.threads).toBe(1);
    const next = await model.trainStep(batch);
    expect(relativeError(expected.grads, next.grads)).toBeLessThan(GRAD_TOLERANCE);
  });
});
