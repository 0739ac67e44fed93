// The default aggregation rule keeps learning on course when peers attack: bench:poison's harness
// (bench/poison-harness.ts: the coordinator's RoundAggregation, norm history, replay guard and MasterState on
// real gradients of the tiny preset, in this process), shortened to a handful of rounds. With 1 bad peer of
// 3 and 2 of 5, in sync and in local-steps mode, each attack leaves validation bits per byte within 2% of an
// honest run of the same length (every peer honest). The harness is first shown to see an attack: the plain
// mean under a noise attack ends more than 2% worse.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCorpus } from '../data/corpus.ts';
import { splitExamples } from '../data/split.ts';
import { resolveConfig } from '../model/config.ts';
import { setupBackend } from '../model/backend.ts';
import { DEFAULT_SETTINGS } from '../coordinator/settings/settings.ts';
import { ATTACKS, runPoison, type Mode, type PoisonEnv, type PoisonRun } from '../bench/poison-harness.ts';

const BOUND = 1.02;
let env: PoisonEnv;

beforeAll(async () => {
  await setupBackend('wasm');
  const cfg = resolveConfig('tiny');
  const split = splitExamples((await loadCorpus()).bytes.subarray(0, 4_000_000), cfg);
  env = { cfg, split, validation: split.heldOut.slice(0, 48) };
});

function base(mode: Mode, bad: number, peers: number): Omit<PoisonRun, 'rule' | 'attack'> {
  return { mode, peers, bad, rounds: mode === 'sync' ? 10 : 5, localSteps: 2, batchSize: 4, codec: 'int8', seed: 1 };
}

describe('poisoning, in process on the tiny preset', () => {
  it('the harness sees an attack: the plain mean under 1-of-3 noise ends more than 2% worse than honest', () => {
    const b = base('sync', 1, 3);
    const honest = runPoison(env, { ...b, rule: 'mean', attack: 'none', bad: 0 });
    const noisy = runPoison(env, { ...b, rule: 'mean', attack: 'noise' });
    expect(noisy.valBpb / honest.valBpb).toBeGreaterThan(BOUND);
  }, 120_000);

  for (const mode of ['sync', 'local-steps'] as const) {
    for (const [bad, peers] of [[1, 3], [2, 5]] as const) {
      it(`the default rule (${DEFAULT_SETTINGS.aggregator}), ${mode}, ${bad} bad of ${peers}: every attack within 2% of honest`, () => {
        const b = base(mode, bad, peers);
        const honest = runPoison(env, { ...b, rule: 'mean', attack: 'none', bad: 0 });
        const ratios: Record<string, number> = {};
        for (const attack of ATTACKS.filter((a) => a !== 'none')) {
          const r = runPoison(env, { ...b, rule: DEFAULT_SETTINGS.aggregator, attack });
          expect(r.weightsFinite).toBe(true);
          ratios[attack] = r.valBpb / honest.valBpb;
        }
        for (const [attack, ratio] of Object.entries(ratios)) expect({ attack, ratio, ok: ratio <= BOUND }).toMatchObject({ attack, ok: true });
      }, 300_000);
    }
  }
});
