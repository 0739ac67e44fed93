import { describe, expect, it } from 'vitest';
import { PRESETS } from '../../model/config.ts';
import { parameterCounts } from '../../model/layout.ts';
import { BYTES_PER_PARAM, checkModelFits, modelBudgetBytes, WASM_HEAP_BYTES } from './model-budget.ts';

describe('checkModelFits', () => {
  it('accepts a preset within the budget and reports its size', () => {
    const n = parameterCounts(PRESETS.tiny).total;
    expect(checkModelFits({ ...PRESETS.tiny }, n * BYTES_PER_PARAM)).toEqual({ ok: true, config: PRESETS.tiny, numParams: n, bytes: n * BYTES_PER_PARAM });
  });

  it('refuses a model over the budget with a message that says both sizes', () => {
    const r = checkModelFits({ ...PRESETS.tiny }, 1024 * 1024);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(/model has \d+ parameters, about \d+ MiB to train; this peer can give it 1 MiB/);
  });

  it('refuses a config that would not fit any machine, or is no valid config, without building anything', () => {
    const huge = { ...PRESETS.tiny, dModel: 1_000_000, ffnHidden: 1_000_000, coreLayers: 1000 };
    expect(checkModelFits(huge, WASM_HEAP_BYTES)).toMatchObject({ ok: false, message: expect.stringMatching(/parameters/) });
    expect(checkModelFits({ dModel: 'x' }, WASM_HEAP_BYTES)).toMatchObject({ ok: false, message: expect.stringMatching(/not valid/) });
  });

  it('a peer gives a model half its memory, never more than a wasm heap', () => {
    expect(modelBudgetBytes(2 * 1024 ** 3)).toBe(1024 ** 3);
    expect(modelBudgetBytes(64 * 1024 ** 3)).toBe(WASM_HEAP_BYTES);
  });
});
