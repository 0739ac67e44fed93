// The same model gives the same numbers on the wasm backend (Node default) and the pure-JS cpu fallback.
import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from './backend.ts';
import { resolveConfig } from './config.ts';
import { splitIntoExamples, textToBytes } from './bytes.ts';
import { StlmModel } from './stlm.ts';

it('wasm and cpu backends agree on loss and gradient; unknown backends are refused', async () => {
  const cfg = resolveConfig('tiny');
  const batch = splitIntoExamples(textToBytes('Bytes in, bytes out; chunks in between. '.repeat(8)), cfg).slice(0, 2);
  const results = [];
  for (const name of ['wasm', 'cpu'] as const) {
    expect(await setupBackend(name)).toBe(name);
    const model = StlmModel.create(cfg, 9);
    results.push(model.trainStep(batch));
    model.dispose();
  }
  const [wasm, cpu] = results;
  expect(wasm.loss).toBeCloseTo(cpu.loss, 5);
  let worst = 0;
  for (let i = 0; i < wasm.grads.length; i++) worst = Math.max(worst, Math.abs(wasm.grads[i] - cpu.grads[i]));
  expect(worst).toBeLessThan(1e-5);
  await expect(setupBackend('tpu' as never)).rejects.toThrow(/unknown backend "tpu"/);
  expect(tf.getBackend()).toBe('cpu');
});
