// The tiny preset must be able to learn: it memorises a short repeated text well below 1 bit per byte,
// and greedy generation then continues the text.
import { beforeAll, expect, it } from 'vitest';
import { setupBackend } from './backend.ts';
import { resolveConfig } from './config.ts';
import { bytesToText, splitIntoExamples, textToBytes } from './bytes.ts';
import { StlmModel } from './stlm.ts';
import { LocalTrainer } from './trainer.ts';
import { bitsPerByte } from './evaluate.ts';
import { generate } from './generate.ts';

beforeAll(async () => {
  await setupBackend('wasm');
});

it('tiny overfits a short repeated text: bpb below 1.0 within a few hundred steps', () => {
  const cfg = resolveConfig('tiny');
  const text = 'the cat sat on the mat. the dog sat on the log. '.repeat(20);
  const examples = splitIntoExamples(textToBytes(text), cfg);
  const model = StlmModel.create(cfg, 7);
  const trainer = new LocalTrainer({
    model,
    schedule: { maxLr: 3e-3, minLr: 3e-4, warmupSteps: 20, totalSteps: 300 },
    optimizer: { weightDecay: 0 },
  });
  const initial = bitsPerByte(model, examples);
  expect(initial).toBeGreaterThan(6); // untrained: near log2(258) = 8 bits
  let bpb = initial;
  let steps = 0;
  while (steps < 300 && bpb >= 1.0) {
    const batch = [0, 1, 2, 3].map((i) => examples[(steps * 4 + i) % examples.length]);
    trainer.step(batch);
    steps++;
    if (steps % 25 === 0) bpb = bitsPerByte(model, examples);
  }
  expect(bpb).toBeLessThan(1.0);
  const continuation = bytesToText(generate(model, 'the cat sat on the ', { maxBytes: 4, temperature: 0, topK: 0, seed: 1 }));
  expect(continuation).toBe('mat.');
  model.dispose();
});
