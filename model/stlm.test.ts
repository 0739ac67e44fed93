import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from './backend.ts';
import { resolveConfig } from './config.ts';
import { BYTE_VOCAB, chunkEnds, splitIntoExamples, textToBytes } from './bytes.ts';
import { encodeBatch } from './batch.ts';
import { StlmModel } from './stlm.ts';
import { LocalTrainer } from './trainer.ts';
import { generate } from './generate.ts';

const cfg = resolveConfig('tiny');
const text = 'A small model, trained together: bytes in, bytes out.\nIt reads chunks; it predicts the next one. ';
const examples = splitIntoExamples(textToBytes(text.repeat(6)), cfg);
let model: StlmModel;

beforeAll(async () => {
  await setupBackend('wasm');
  model = StlmModel.create(cfg, 42);
});
afterAll(() => model.dispose());

describe('StlmModel', () => {
  it('has the tiny size, well under 1M parameters, and counts tying', () => {
    const c = model.parameterCounts();
    expect(model.numParams).toBe(c.total);
    expect(c.total).toBeLessThan(1_000_000);
    expect(Object.values(c.components).reduce((a, b) => a + b, 0)).toBe(c.total);
    const ffnOnce = 3 * cfg.dModel * cfg.ffnHidden;
    expect(c.components.ffn).toBe(ffnOnce); // one shared FFN
    expect(c.untied - c.total).toBe(BYTE_VOCAB * cfg.byteDim + (cfg.coreLayers - 1) * ffnOnce);
    const unshared = StlmModel.create({ ...cfg, shareFfn: false }, 42);
    expect(unshared.parameterCounts().components.ffn).toBe(cfg.coreLayers * ffnOnce);
    unshared.dispose();
  });

  it('ties the byte embedding and the output head: one variable, changing it changes the head', () => {
    const vocabShaped = model.manifest.filter((e) => e.shape[0] === BYTE_VOCAB);
    expect(vocabShaped.map((e) => e.name)).toEqual(['byteEmbedding']);
    const batch = examples.slice(0, 2);
    const before = model.evaluate(batch).lossSum;
    // 'Z' (90) never occurs in the text, so its row is read only by the output head.
    expect(batch.every((ex) => !ex.includes(90))).toBe(true);
    const w = model.getWeights();
    const emb = model.manifest[0];
    const grads = model.trainStep(batch).grads;
    const rowZ = grads.subarray(emb.offset + 90 * cfg.byteDim, emb.offset + 91 * cfg.byteDim);
    expect(Math.max(...Array.from(rowZ, Math.abs))).toBeGreaterThan(0); // gradient from the head use
    const changed = w.slice();
    for (let j = 0; j < cfg.byteDim; j++) changed[emb.offset + 90 * cfg.byteDim + j] += 0.5;
    model.setWeights(changed);
    const after = model.evaluate(batch).lossSum;
    model.setWeights(w);
    expect(Math.abs(after - before)).toBeGreaterThan(1e-3);
  });

  // Both ways a byte block mixes slots: the shared P x P matrix of tiny and the dense, causal mix.
  it.each(['slots', 'dense'] as const)('gradient of the whole model (byteMix %s) matches finite differences, parameter by parameter', (byteMix) => {
    const model = StlmModel.create(resolveConfig('tiny', { byteMix }), 42);
    const batch = examples.slice(0, 2);
    const w0 = model.getWeights();
    const { grads, loss } = model.trainStep(batch);
    const meanLoss = (w: Float32Array) => {
      model.setWeights(w);
      const r = model.evaluate(batch);
      return r.lossSum / r.bytes;
    };
    expect(meanLoss(w0)).toBeCloseTo(loss, 4);
    let worst = 0;
    for (const e of model.manifest) {
      // Directional derivative along this parameter's own analytic gradient must equal its norm.
      const g = grads.subarray(e.offset, e.offset + e.size);
      const norm = Math.sqrt(g.reduce((a, v) => a + v * v, 0));
      expect(norm, e.name).toBeGreaterThan(1e-5);
      // A step that moves the loss by about 2e-3: well above float32 noise, small enough to stay linear.
      const eps = Math.min(0.2, 2e-3 / norm);
      const plus = w0.slice();
      const minus = w0.slice();
      for (let i = 0; i < e.size; i++) {
        plus[e.offset + i] += (eps * g[i]) / norm;
        minus[e.offset + i] -= (eps * g[i]) / norm;
      }
      const fd = (meanLoss(plus) - meanLoss(minus)) / (2 * eps);
      const rel = Math.abs(fd - norm) / norm;
      worst = Math.max(worst, rel);
      expect(rel, `${e.name}: fd ${fd} vs |g| ${norm}`).toBeLessThan(0.03);
    }
    console.log(`finite differences (${byteMix}): worst relative error ${worst.toFixed(4)} over ${model.manifest.length} parameters`);
    model.dispose();
  });

  it('fast ops (custom gradients) and plain tfjs autograd give the same loss and gradient', () => {
    const plain = StlmModel.create(cfg, 42, { ops: 'plain' });
    const batch = examples.slice(0, 3);
    const a = model.trainStep(batch);
    const b = plain.trainStep(batch);
    plain.dispose();
    expect(a.loss).toBeCloseTo(b.loss, 5);
    let worst = 0;
    let largest = 0;
    for (let i = 0; i < a.grads.length; i++) {
      worst = Math.max(worst, Math.abs(a.grads[i] - b.grads[i]));
      largest = Math.max(largest, Math.abs(b.grads[i]));
    }
    expect(largest).toBeGreaterThan(1e-2);
    expect(worst).toBeLessThan(1e-5);
  });

  it.each(['slots', 'dense'] as const)('is causal (byteMix %s): the prediction of a byte never depends on that byte or later ones', (byteMix) => {
    const cfg = resolveConfig('tiny', { byteMix });
    const model = StlmModel.create(cfg, 42);
    const a = textToBytes('one two three four five');
    const b = a.slice();
    const k = 10; // 'h' in "three": not a delimiter, so the chunks stay the same
    b[k] = 'x'.charCodeAt(0);
    const la = model.logProbs(encodeBatch([a], cfg));
    const lb = model.logProbs(encodeBatch([b], cfg));
    const ends = chunkEnds(a, cfg.chunkBytes);
    const rowOf = (i: number) => {
      const t = ends.findIndex((e) => e > i);
      return t * cfg.chunkBytes + (i - (t === 0 ? 0 : ends[t - 1]));
    };
    const row = (l: Float32Array, i: number) => Array.from(l.subarray(rowOf(i) * BYTE_VOCAB, (rowOf(i) + 1) * BYTE_VOCAB));
    for (let i = 0; i <= k; i++) expect(row(lb, i), `byte ${i}`).toEqual(row(la, i));
    const later = Array.from({ length: a.length - k - 1 }, (_, j) => k + 1 + j);
    expect(later.some((i) => row(lb, i).some((v, j) => v !== row(la, i)[j]))).toBe(true);
    model.dispose();
  });

  it('exports and imports weights bit-exactly; the same seed gives the same weights and loss', () => {
    const w = model.getWeights();
    const other = StlmModel.create(cfg, 7);
    expect(other.getWeights()).not.toEqual(w);
    other.setWeights(w);
    expect(new Uint32Array(other.getWeights().buffer)).toEqual(new Uint32Array(w.buffer));
    const rebuilt = StlmModel.fromWeights(cfg, w);
    expect(new Uint32Array(rebuilt.getWeights().buffer)).toEqual(new Uint32Array(w.buffer));
    rebuilt.dispose();
    const twin = StlmModel.create(cfg, 42);
    const a = StlmModel.create(cfg, 42);
    expect(new Uint32Array(twin.getWeights().buffer)).toEqual(new Uint32Array(a.getWeights().buffer));
    const ra = a.trainStep(examples.slice(0, 3));
    const rb = twin.trainStep(examples.slice(0, 3));
    expect(ra.loss).toBe(rb.loss);
    expect(ra.grads).toEqual(rb.grads);
    expect(() => a.setWeights(new Float32Array(3))).toThrow(/got 3 floats/);
    for (const m of [other, twin, a]) m.dispose();
    expect(() => a.getWeights()).toThrow(/after dispose/);
  });

  it('keeps the tensor count flat across 50 training steps and generation', () => {
    const m = StlmModel.create(cfg, 3);
    const trainer = new LocalTrainer({ model: m, schedule: { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 5, totalSteps: 50 } });
    trainer.step(examples.slice(0, 2));
    const start = tf.memory().numTensors;
    for (let s = 0; s < 50; s++) trainer.step([examples[s % examples.length], examples[(s + 1) % examples.length]]);
    m.evaluate(examples.slice(0, 2));
    generate(m, 'A small', { maxBytes: 5, temperature: 1, topK: 5, seed: 1 });
    expect(tf.memory().numTensors).toBe(start);
    m.dispose();
  });

  it('trainStepAsync and evaluateAsync give the sync results bit for bit, leak no tensors, reject bad batches', async () => {
    const batch = examples.slice(0, 3);
    const sync = model.trainStep(batch);
    const start = tf.memory().numTensors;
    const viaAsync = await model.trainStepAsync(batch);
    expect(viaAsync.loss).toBe(sync.loss);
    expect(viaAsync.bytes).toBe(sync.bytes);
    expect(new Uint32Array(viaAsync.grads.buffer)).toEqual(new Uint32Array(sync.grads.buffer));
    expect(await model.evaluateAsync(batch)).toEqual(model.evaluate(batch));
    expect(tf.memory().numTensors).toBe(start);
    await expect(model.trainStepAsync([])).rejects.toThrow(/batch is empty/);
  });

  it('gives clear errors for bad batches and never changes the weights on error', () => {
    const w = model.getWeights();
    expect(() => model.trainStep([])).toThrow(/batch is empty/);
    expect(() => model.trainStep([textToBytes('x '.repeat(40))])).toThrow(/longer than the context/);
    expect(() => model.evaluate([[1, 999]] as unknown as Uint8Array[])).toThrow(/out of range/);
    expect(model.getWeights()).toEqual(w);
  });

  it('generates deterministically from a seed, only real bytes', () => {
    const a = generate(model, 'It reads', { maxBytes: 12, temperature: 1, topK: 20, seed: 5 });
    const b = generate(model, textToBytes('It reads'), { maxBytes: 12, temperature: 1, topK: 20, seed: 5 });
    expect(a.length).toBe(12);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(() => generate(model, 'x', { maxBytes: -1, temperature: 1, topK: 0, seed: 1 })).toThrow(/maxBytes/);
  });
});
