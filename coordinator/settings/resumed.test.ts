// Resumed settings: the run-defining fields come from the checkpoint, through the settings schema; unknown
// saved fields are ignored, invalid ones are a clear error; pruning settings only come with saved masks.
import { describe, expect, it } from 'vitest';
import { loadSettings } from './settings.ts';
import { resumedSettings } from './resumed.ts';

const current = loadSettings({ overrides: { runDir: '/tmp/x', token: 't', preset: 'tiny', codec: 'fp16' } });

describe('resumedSettings', () => {
  it('takes preset, seed, data, validation fraction and local steps from the checkpoint', () => {
    const s = resumedSettings(current, { preset: 'small', seed: 9, localSteps: 4, port: 1, removedLongAgo: true }, false);
    expect([s.preset, s.seed, s.localSteps, s.codec, s.port]).toEqual(['small', 9, 4, 'fp16', current.port]);
  });

  it('refuses a checkpoint whose settings do not validate', () => {
    expect(() => resumedSettings(current, { preset: 'huge' }, false)).toThrow(/checkpoint's settings are not valid \(preset/);
    expect(() => resumedSettings(current, { localSteps: -1 }, false)).toThrow(/localSteps/);
  });

  it('takes the pruning policy only with the masks it made', () => {
    const saved = { consolidation: { ...current.consolidation, sparsity: 0.7, schedule: 'gradual:4' } };
    expect(resumedSettings(current, saved, false).consolidation.sparsity).toBe(current.consolidation.sparsity);
    expect(resumedSettings(current, saved, true).consolidation.sparsity).toBe(0.7);
  });
});
