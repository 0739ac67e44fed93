// The coordinator's training components with the real model (tiny preset, wasm): the properties the round
// loop relies on, checked without any networking.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../model/backend.ts';
import { resolveConfig } from '../model/config.ts';
import { StlmModel } from '../model/stlm.ts';
import { AdamW } from '../model/adamw.ts';
import { decayMaskFromManifest } from '../model/params.ts';
import { loadCorpus } from '../data/corpus.ts';
import { Dataset } from '../data/dataset.ts';
import { createAggregator, screenContributions } from './aggregate/index.ts';
import { AdamWMaster, OuterNesterov } from './optimizer/index.ts';
import { CheckpointStore } from './checkpoints/store.ts';

const cfg = resolveConfig('tiny');
const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-components-'));
let corpus: Uint8Array;
let model: StlmModel;

beforeAll(async () => {
  await setupBackend('wasm');
  corpus = (await loadCorpus()).bytes.subarray(0, 300_000);
  model = StlmModel.create(cfg, 3);
});
afterAll(() => {
  model.dispose();
  rmSync(runDir, { recursive: true, force: true });
});

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);

describe('training components with the real model', () => {
  it('the byte-weighted mean of two peers\' gradients is the gradient of their union batch', () => {
    const d = Dataset.fromCorpus(corpus, cfg, { seed: 1 });
    const a = d.nextBatch(3).examples;
    const b = d.nextBatch(5).examples;
    const ga = model.trainStep(a);
    const gb = model.trainStep(b);
    const union = model.trainStep([...a, ...b]);
    expect(ga.bytes).not.toBe(gb.bytes); // unequal weights, so a plain mean would be wrong
    const contributions = [
      { peerId: 'a', vector: ga.grads, weight: ga.bytes },
      { peerId: 'b', vector: gb.grads, weight: gb.bytes },
    ];
    expect(screenContributions(contributions, model.numParams).rejected).toEqual([]);
    const mean = createAggregator('mean').aggregate(contributions);
    const scale = union.grads.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    expect(maxAbsDiff(mean, union.grads)).toBeLessThan(1e-4 * scale);
  });

  it('resumes exactly: weights, AdamW state and data cursor from a checkpoint continue the same run', async () => {
    const makeRun = () => {
      const m = StlmModel.create(cfg, 5);
      // A constant rate of 1e-3: the schedule's step does not matter here.
      const schedule = { maxLr: 1e-3, minLr: 1e-3, warmupSteps: 0, totalSteps: Infinity };
      const opt = new AdamWMaster(m.numParams, { schedule, adamw: { decayMask: decayMaskFromManifest(m.manifest) } });
      const data = Dataset.fromCorpus(corpus, cfg, { seed: 2 });
      const step = () => {
        const batch = data.nextBatch(4);
        const r = m.trainStep(batch.examples);
        const w = m.getWeights();
        opt.step(w, r.grads, 0);
        m.setWeights(w);
        data.complete(batch.batchId);
        return r.loss;
      };
      return { m, opt, data, step };
    };
    const first = makeRun();
    for (let i = 0; i < 3; i++) first.step();
    const store = new CheckpointStore(runDir, { warn: () => {} });
    await store.save({
      runId: 'resume-test', config: cfg, settings: { seed: 2 },
      state: { round: 3, version: 3, bytesProcessed: 0, weights: first.m.getWeights(), optimizer: first.opt.exportState() },
      dataCursor: first.data.exportCursor(),
    });
    const lossesA = [0, 1, 2].map(() => first.step());

    const second = makeRun();
    const ck = (await store.latest())!;
    second.m.setWeights(ck.state.weights);
    second.opt.importState(ck.state.optimizer);
    second.data.importCursor(ck.dataCursor);
    const lossesB = [0, 1, 2].map(() => second.step());
    expect(lossesB).toEqual(lossesA);
    expect(maxAbsDiff(second.m.getWeights(), first.m.getWeights())).toBe(0);
    first.m.dispose();
    second.m.dispose();
  });

  it('DiLoCo: outer Nesterov on averaged pseudo-gradients lowers the loss; lr 1, momentum 0 is weight averaging', () => {
    const data = Dataset.fromCorpus(corpus, cfg, { seed: 4 });
    const probe = data.validationExamples(16);
    const start = StlmModel.create(cfg, 9);
    const master = start.getWeights();
    const peers = [0, 1].map(() => ({ m: StlmModel.create(cfg, 9), opt: new AdamW(master.length) }));
    const outer = new OuterNesterov(master.length); // DiLoCo defaults 0.7 / 0.9
    const lossOf = (w: Float32Array) => {
      start.setWeights(w);
      const r = start.evaluate(probe);
      return r.lossSum / r.bytes;
    };
    const before = lossOf(master);
    for (let round = 0; round < 4; round++) {
      const contributions = peers.map((p, k) => {
        p.m.setWeights(master);
        let bytes = 0;
        for (let h = 0; h < 3; h++) {
          const r = p.m.trainStep(data.nextBatch(4).examples);
          const w = p.m.getWeights();
          p.opt.step(w, r.grads, 3e-3);
          p.m.setWeights(w);
          bytes += r.bytes;
        }
        const after = p.m.getWeights();
        return { peerId: `p${k}`, vector: master.map((x, i) => x - after[i]!), weight: bytes };
      });
      const delta = createAggregator('mean').aggregate(contributions);
      if (round === 0) {
        // Sanity anchor: a plain averaging step lands on the byte-weighted mean of the peers' weights.
        const avg = master.slice();
        new OuterNesterov(master.length, { lr: 1, momentum: 0 }).step(avg, delta);
        const total = contributions[0]!.weight + contributions[1]!.weight;
        const expected = master.map((x, i) => x - (contributions[0]!.vector[i]! * contributions[0]!.weight + contributions[1]!.vector[i]! * contributions[1]!.weight) / total);
        expect(maxAbsDiff(avg, expected)).toBeLessThan(1e-6);
      }
      outer.step(master, delta);
    }
    const after = lossOf(master);
    expect(after).toBeLessThan(before - 0.1);
    start.dispose();
    for (const p of peers) p.m.dispose();
  });
});
