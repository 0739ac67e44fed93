import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setupBackend } from '../../model/backend.ts';
import { resolveConfig } from '../../model/config.ts';
import { StlmModel } from '../../model/stlm.ts';
import { AdamW } from '../../model/adamw.ts';
import { encodeWeightsFile } from '../../model/weights-file.ts';
import { splitIntoExamples, textToBytes } from '../../model/bytes.ts';
import { gradualSparsity } from '../../model/compress/schedule.ts';
import { CheckpointConsolidator } from './consolidator.ts';
import { CheckpointStore } from '../checkpoints/store.ts';

let root: string;
beforeAll(async () => {
  await setupBackend('wasm');
  root = await mkdtemp(path.join(tmpdir(), 'stlm-consolidator-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

it('gradual: sparsity rises per checkpoint along the cubic, masked master weights stay 0 between checkpoints', async () => {
  const cfg = resolveConfig('tiny');
  const examples = splitIntoExamples(textToBytes('round after round the swarm trains the model. '.repeat(30)), cfg);
  const model = StlmModel.create(cfg, 8);
  const weights = model.getWeights();
  const opt = new AdamW(model.numParams);
  let c = new CheckpointConsolidator({ sparsity: 0.5, quant: 'int8', schedule: { kind: 'gradual', span: 2 } });
  const seen: number[] = [];
  for (let round = 1; round <= 3; round++) {
    for (let s = 0; s < 3; s++) {
      model.setWeights(weights);
      opt.step(weights, model.trainStep(examples.slice(s * 2, s * 2 + 2)).grads, 2e-3);
      c.afterOptimizerStep(weights);
    }
    c.beforeCheckpoint(weights, model.manifest);
    const dir = path.join(root, `ckpt-${round}`);
    await mkdir(dir);
    await writeFile(path.join(dir, 'weights.stlm'), encodeWeightsFile({ config: cfg, weights, manifest: model.manifest }));
    const r = await c.consolidate(new CheckpointStore(root), dir, examples.slice(0, 4));
    seen.push(r.prunableSparsity);
    // The checkpoint's dense weights already carry the masks: pruning them costs nothing more.
    expect(Math.abs(r.bpbDelta)).toBeLessThan(0.05);
    expect(c.last?.round).toBe(round);
    const restored = new CheckpointConsolidator({ sparsity: 0.5, schedule: { kind: 'gradual', span: 2 } });
    restored.importState(model.manifest, JSON.parse(JSON.stringify(c.exportState())));
    c = restored;
  }
  expect(seen[0]).toBeCloseTo(gradualSparsity(1, 2, 0.5), 3);
  expect(seen[1]).toBeCloseTo(0.5, 3);
  expect(seen[2]).toBeCloseTo(0.5, 3);
  let zeros = 0;
  for (let i = 0; i < weights.length; i++) if (weights[i] === 0) zeros++;
  expect(zeros).toBeGreaterThanOrEqual(Math.round(0.5 * 0.85 * weights.length));
  model.dispose();
});

it('one-shot leaves the master weights alone; bad combinations are refused', () => {
  const c = new CheckpointConsolidator({ sparsity: 0.5 });
  const w = new Float32Array([1, 2, 3]);
  c.afterOptimizerStep(w);
  expect(Array.from(w)).toEqual([1, 2, 3]);
  expect(() => new CheckpointConsolidator({ sparsity: '2:4', schedule: { kind: 'gradual', span: 3 } })).toThrow(/2:4/);
  const g = new CheckpointConsolidator({ schedule: { kind: 'gradual', span: 3 } });
  expect(() => g.importState([], { prune: null })).toThrow(/no pruning state/);
});
