import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from './backend.ts';
import { resolveConfig } from './config.ts';
import { StlmModel } from './stlm.ts';
import { generate, generateAsync } from './generate.ts';

beforeAll(async () => {
  await setupBackend('wasm');
});

describe('generateAsync', () => {
  it('gives the same bytes as generate and pauses between bytes', async () => {
    const model = StlmModel.create(resolveConfig('tiny'), 3);
    const opts = { maxBytes: 9, temperature: 1, topK: 20, seed: 4 };
    let pauses = 0;
    const a = await generateAsync(model, 'It reads', opts, async () => void pauses++);
    expect(Array.from(a)).toEqual(Array.from(generate(model, 'It reads', opts)));
    expect(pauses).toBe(8);
    model.dispose();
  });
});
