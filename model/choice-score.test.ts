// Scoring a continuation given a context: the true log-likelihood under the model, whatever the chunking.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from './backend.ts';
import { resolveConfig } from './config.ts';
import { chunkEnds, textToBytes } from './bytes.ts';
import { StlmModel } from './stlm.ts';
import { continuationWindows, scoreContinuations } from './choice-score.ts';
import { accuracyFromScores, wilsonInterval } from './choice-eval.ts';

beforeAll(async () => {
  await setupBackend('wasm');
});

const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);

describe('byteLogProbs', () => {
  it('sums to minus the loss evaluate() reports, example by example', () => {
    const model = StlmModel.create(resolveConfig('tiny'), 3);
    const batch = [textToBytes('the cat sat on the mat.'), textToBytes('a dog')];
    const lp = model.byteLogProbs(batch);
    expect(lp.map((a) => a.length)).toEqual([23, 5]);
    for (let i = 0; i < batch.length; i++) {
      expect(sum(lp[i])).toBeCloseTo(-model.evaluate([batch[i]]).lossSum, 3);
    }
    model.dispose();
  });
});

describe('scoreContinuations', () => {
  it('is log p(context + continuation) - log p(context), also when the continuation starts inside a chunk', () => {
    const model = StlmModel.create(resolveConfig('tiny'), 5);
    // "the ca" + "t sat": the option's first bytes share a chunk with the context's last ones.
    for (const [ctx, cont] of [['the ca', 't sat'], ['the cat ', 'sat on'], ['', 'whole sentence.']]) {
      const [score] = scoreContinuations(model, [{ context: textToBytes(ctx), continuation: textToBytes(cont) }]);
      const whole = sum(model.byteLogProbs([textToBytes(ctx + cont)])[0]);
      const prefix = ctx === '' ? 0 : sum(model.byteLogProbs([textToBytes(ctx)])[0]);
      expect(score.bytes).toBe(textToBytes(cont).length);
      expect(score.logLikelihood).toBeCloseTo(whole - prefix, 3);
    }
    model.dispose();
  });

  it('a context longer than the model reads is cut by whole chunks from the left', () => {
    const cfg = resolveConfig('tiny'); // 16 chunks of up to 6 bytes
    const model = StlmModel.create(cfg, 6);
    const context = textToBytes('one two three four five six seven eight nine ten eleven twelve thirteen fourteen ');
    const continuation = textToBytes('fifteen sixteen');
    const [w] = continuationWindows({ context, continuation }, cfg.chunkBytes, cfg.contextChunks);
    expect(chunkEnds(w.bytes, cfg.chunkBytes).length).toBe(cfg.contextChunks);
    const [score] = scoreContinuations(model, [{ context, continuation }]);
    const lp = model.byteLogProbs([w.bytes])[0];
    expect(score.logLikelihood).toBeCloseTo(sum(lp.subarray(w.bytes.length - continuation.length)), 4);
    model.dispose();
  });

  it('a continuation longer than the context is scored in windows that cover each of its bytes once', () => {
    const cfg = resolveConfig('tiny');
    const context = textToBytes('Question: what comes next?\nAnswer:');
    const continuation = textToBytes(' a b c d e f g h i j k l m n o p q r s t u v w x y z and then it goes on for a long while.');
    const windows = continuationWindows({ context, continuation }, cfg.chunkBytes, cfg.contextChunks);
    expect(windows.length).toBeGreaterThan(1);
    const scored = windows.reduce((s, w) => s + w.bytes.length - w.scoreFrom, 0);
    expect(scored).toBe(continuation.length);
    for (const w of windows) expect(chunkEnds(w.bytes, cfg.chunkBytes).length).toBeLessThanOrEqual(cfg.contextChunks);
    // Every window ends where the bytes it scores end, and the last one at the continuation's end.
    const last = windows[windows.length - 1];
    expect(Array.from(last.bytes.subarray(last.bytes.length - 5))).toEqual(Array.from(continuation.subarray(continuation.length - 5)));
  });

  it('leaves no tensor behind', () => {
    const model = StlmModel.create(resolveConfig('tiny'), 8);
    const before = tf.memory().numTensors;
    scoreContinuations(model, [{ context: textToBytes('a b c'), continuation: textToBytes(' d e') }, { context: new Uint8Array(0), continuation: textToBytes('x') }], 1);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses an empty continuation', () => {
    expect(() => continuationWindows({ context: textToBytes('a'), continuation: new Uint8Array(0) }, 6, 16)).toThrow(/empty/);
  });
});

describe('accuracy', () => {
  it('counts a question right only when its answer scores strictly highest, by sum and per byte', () => {
    const items = [
      { options: [{ context: '', continuation: 'ab' }, { context: '', continuation: 'abcd' }], answer: 1 },
      { options: [{ context: '', continuation: 'x' }, { context: '', continuation: 'y' }, { context: '', continuation: 'z' }], answer: 0 },
    ];
    const scores = [
      { logLikelihood: -4, bytes: 2 }, { logLikelihood: -6, bytes: 4 }, // sum: option 0 wins; per byte: option 1
      { logLikelihood: -1, bytes: 1 }, { logLikelihood: -1, bytes: 1 }, { logLikelihood: -3, bytes: 1 }, // a tie: wrong
    ];
    const a = accuracyFromScores(items, scores);
    expect(a.count).toBe(2);
    expect(a.chance).toBeCloseTo((1 / 2 + 1 / 3) / 2, 10);
    expect(a.sum.correct).toBe(0);
    expect(a.perByte.correct).toBe(1);
    expect(a.perByte.accuracy).toBe(0.5);
  });

  it('the Wilson interval matches a textbook value and stays inside [0, 1]', () => {
    const [lo, hi] = wilsonInterval(50, 100);
    expect(lo).toBeCloseTo(0.4038, 3);
    expect(hi).toBeCloseTo(0.5962, 3);
    expect(wilsonInterval(0, 10)[0]).toBe(0);
    expect(wilsonInterval(10, 10)[1]).toBe(1);
  });
});
