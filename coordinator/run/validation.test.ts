import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../../model/backend.ts';
import { resolveConfig } from '../../model/config.ts';
import { StlmModel } from '../../model/stlm.ts';
import { bitsPerByte } from '../../model/evaluate.ts';
import { textToBytes } from '../../model/bytes.ts';
import { validationBitsPerByte } from './validation.ts';

beforeAll(async () => {
  await setupBackend('wasm');
});

describe('validationBitsPerByte', () => {
  it('equals bitsPerByte exactly and lets timers run between batches', async () => {
    const model = StlmModel.create(resolveConfig('tiny'), 3);
    const examples = Array.from({ length: 20 }, (_, i) => textToBytes(`example number ${i}: the quick brown fox.`));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    const bpb = await validationBitsPerByte(model, examples, 4);
    clearInterval(timer);
    expect(bpb).toBe(bitsPerByte(model, examples, 4));
    expect(ticks).toBeGreaterThan(0);
    model.dispose();
  });
});
