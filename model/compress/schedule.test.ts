import { beforeAll, describe, expect, it } from 'vitest';
import { PruneSchedule, gradualSparsity, parsePruneSchedule } from './schedule.ts';
import { MaskSet } from './mask.ts';
import { setupBackend } from '../backend.ts';
import { resolveConfig } from '../config.ts';
import { splitIntoExamples, textToBytes } from '../bytes.ts';
import { StlmModel } from '../stlm.ts';
import { AdamW } from '../adamw.ts';
import { decayMaskFromManifest } from '../params.ts';

describe('gradual sparsity (Zhu & Gupta cubic)', () => {
  it('rises from the initial value to the target, fastest at first', () => {
    expect(gradualSparsity(0, 4, 0.8)).toBe(0);
    expect(gradualSparsity(4, 4, 0.8)).toBeCloseTo(0.8, 12);
    expect(gradualSparsity(9, 4, 0.8)).toBeCloseTo(0.8, 12);
    expect(gradualSparsity(1, 4, 0.8)).toBeCloseTo(0.8 * (1 - 0.75 ** 3), 12);
    const steps = [0, 1, 2, 3, 4].map((k) => gradualSparsity(k, 4, 0.8, 0.1));
    const deltas = steps.slice(1).map((s, i) => s - steps[i]);
    for (let i = 1; i < deltas.length; i++) expect(deltas[i]).toBeLessThan(deltas[i - 1]);
    expect(() => new PruneSchedule({ target: 0.5, span: 0 })).toThrow(/span/);
    expect(() => new PruneSchedule({ target: '2:4' as never, span: 3 })).toThrow(/2:4/);
  });
});

it('parses --prune-schedule values', () => {
  expect(parsePruneSchedule('oneshot')).toEqual({ kind: 'oneshot' });
  expect(parsePruneSchedule('gradual')).toEqual({ kind: 'gradual', span: 4 });
  expect(parsePruneSchedule('gradual:10')).toEqual({ kind: 'gradual', span: 10 });
  for (const bad of ['gradual:0', 'gradual:', 'cubic', '']) expect(() => parsePruneSchedule(bad)).toThrow(/prune schedule/);
});

describe('gradual pruning during training', () => {
  beforeAll(async () => {
    await setupBackend('wasm');
  });

  it('masked weights stay exactly zero after further training rounds; state survives export/import', () => {
    const cfg = resolveConfig('tiny');
    const examples = splitIntoExamples(textToBytes('the quick brown fox jumps over the lazy dog. '.repeat(30)), cfg);
    const model = StlmModel.create(cfg, 3);
    const weights = model.getWeights();
    const opt = new AdamW(model.numParams, { decayMask: decayMaskFromManifest(model.manifest) });
    let schedule = new PruneSchedule({ target: 0.6, span: 3 });
    const unmasked = new Float32Array(weights.length); // the same update without the mask, to show it matters
    let stepNo = 0;
    for (let round = 0; round < 3; round++) {
      const masks = schedule.advance(weights, model.manifest);
      expect(schedule.currentSparsity).toBeCloseTo(gradualSparsity(round + 1, 3, 0.6), 12);
      for (const s of Object.values(masks.sparsityPerTensor())) expect(s).toBeCloseTo(schedule.currentSparsity, 2);
      model.setWeights(weights);
      for (let i = 0; i < 4; i++, stepNo++) {
        const batch = [0, 1].map((j) => examples[(stepNo * 2 + j) % examples.length]);
        const { grads } = model.trainStep(batch);
        opt.step(weights, grads, 3e-3);
        unmasked.set(weights);
        schedule.apply(weights);
        model.setWeights(weights);
      }
      // Round trip through a checkpoint: the restored schedule carries on with the same masks.
      const state = JSON.parse(JSON.stringify(schedule.exportState()));
      schedule = PruneSchedule.importState(model.manifest, state);
    }
    expect(schedule.done).toBe(true);
    const masks = schedule.maskSet!;
    let prunedChecked = 0;
    let wouldHaveMoved = 0;
    const live = model.getWeights();
    for (const e of model.manifest) {
      const keep = masks.get(e.name);
      if (!keep) continue;
      for (let i = 0; i < e.size; i++) {
        if (keep[i]) continue;
        expect(live[e.offset + i]).toBe(0);
        prunedChecked++;
        if (unmasked[e.offset + i] !== 0) wouldHaveMoved++;
      }
    }
    expect(prunedChecked).toBe(masks.prunedCount);
    expect(prunedChecked).toBeGreaterThan(0.5 * 0.6 * model.numParams);
    expect(wouldHaveMoved).toBeGreaterThan(prunedChecked / 2);
    model.dispose();
  });

  it('refuses a mask state for another model', () => {
    const tiny = StlmModel.create(resolveConfig('tiny'), 1);
    const s = new PruneSchedule({ target: 0.5, span: 2 });
    const w = tiny.getWeights();
    s.advance(w, tiny.manifest);
    const state = s.exportState();
    const other = resolveConfig('tiny', { dModel: 32, heads: 4 });
    const otherModel = StlmModel.create(other, 1);
    expect(() => PruneSchedule.importState(otherModel.manifest, state)).toThrow(/parameters/);
    expect(() => MaskSet.importState(tiny.manifest, { ...state.masks!, masks: [{ name: 'nope', size: 4, bits: 'AA==' }] })).toThrow(/nope/);
    tiny.dispose();
    otherModel.dispose();
  });
});
