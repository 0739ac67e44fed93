import { describe, expect, it } from 'vitest';
import { AdamW } from '../../model/adamw.ts';
import { learningRate } from '../../model/schedule.ts';
import { OPTIMIZER_KINDS, createMasterOptimizer, optimizerKindFor, type MasterOptimizerSettings } from './index.ts';
import { runOptimizerConformance } from './conformance.ts';

const settings: MasterOptimizerSettings = {
  schedule: { maxLr: 1e-3, minLr: 1e-4, warmupSteps: 3, totalSteps: 20 },
  adamw: { weightDecay: 0.1 },
  outer: { lr: 0.7, momentum: 0.9 },
};

for (const kind of OPTIMIZER_KINDS) runOptimizerConformance({ create: (size) => createMasterOptimizer(kind, size, settings) });

describe('createMasterOptimizer', () => {
  it('picks AdamW for sync mode and outer Nesterov for local steps', () => {
    expect(optimizerKindFor(1)).toBe('adamw');
    expect(optimizerKindFor(2)).toBe('outer-nesterov');
    expect(createMasterOptimizer(optimizerKindFor(4), 1, settings).kind).toBe('outer-nesterov');
  });

  it('names an unknown kind', () => {
    expect(() => createMasterOptimizer('sgd' as never, 1, settings)).toThrow(/unknown optimizer "sgd"/);
  });
});

describe('AdamW master', () => {
  it('is model/adamw.ts stepped at the schedule rate for the step it is given (what LocalTrainer does)', () => {
    const master = createMasterOptimizer('adamw', 3, settings);
    const plain = new AdamW(3, settings.adamw);
    const [wm, wp] = [Float32Array.from([0.5, -1, 2]), Float32Array.from([0.5, -1, 2])];
    for (const step of [0, 1, 2, 17]) {
      const g = Float32Array.from([0.3, -0.2, 0.1 * step]);
      const info = master.step(wm, g, step);
      const { gradNorm } = plain.step(wp, g, learningRate(step, settings.schedule));
      expect(info).toEqual({ lr: learningRate(step, settings.schedule), gradNorm });
      expect(Array.from(wm)).toEqual(Array.from(wp));
    }
  });
});

describe('outer Nesterov master', () => {
  it('steps at its fixed rate whatever the schedule step', () => {
    const opt = createMasterOptimizer('outer-nesterov', 1, settings);
    expect(opt.step(new Float32Array(1), Float32Array.from([0.1]), 0).lr).toBe(0.7);
    expect(opt.step(new Float32Array(1), Float32Array.from([0.1]), 1000).lr).toBe(0.7);
  });
});
