import { mkdtemp, readFile, readdir, writeFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setupBackend } from '../../model/backend.ts';
import { resolveConfig } from '../../model/config.ts';
import { StlmModel } from '../../model/stlm.ts';
import { encodeWeightsFile } from '../../model/weights-file.ts';
import { splitIntoExamples, textToBytes } from '../../model/bytes.ts';
import { loadConsolidated } from '../../model/compress/consolidate.ts';
import { consolidateCheckpoint } from './consolidate-checkpoint.ts';
import { CheckpointStore, type CheckpointState } from '../checkpoints/store.ts';
import { Dataset } from '../../data/dataset.ts';

let root: string;
const cfg = resolveConfig('tiny');
const text = 'A small corpus for a consolidation test, with sentences that repeat.\n'.repeat(60);

beforeAll(async () => {
  await setupBackend('wasm');
  root = await mkdtemp(path.join(tmpdir(), 'stlm-consolidate-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeCheckpoint(name: string, state?: object): Promise<{ dir: string; weights: Float32Array }> {
  const dir = path.join(root, name);
  await mkdir(dir, { recursive: true });
  const model = StlmModel.create(cfg, 5);
  const weights = model.getWeights();
  await writeFile(path.join(dir, 'weights.stlm'), encodeWeightsFile({ config: cfg, weights, manifest: model.manifest }));
  if (state) await writeFile(path.join(dir, 'state.json'), JSON.stringify(state));
  model.dispose();
  return { dir, weights };
}

it('writes model.stlmq atomically, measures bpb of both models, stores the figures in the checkpoint', async () => {
  const { dir, weights } = await writeCheckpoint('ckpt-7', { round: 7, settings: { seed: 1 }, metrics: { loss: 5 } });
  const validation = splitIntoExamples(textToBytes(text), cfg).slice(0, 6);
  const r = await consolidateCheckpoint(CheckpointStore.of(dir), dir, { validation, sparsity: 0.5, quant: 'int8' });
  expect(r.round).toBe(7);
  expect(r.validationExamples).toBe(6);
  expect(r.sizeRatio).toBeLessThanOrEqual(0.2);
  expect(r.bpbDense).toBeGreaterThan(5); // untrained: near log2(258)
  expect(r.bpbDelta).toBeCloseTo(r.bpbConsolidated - r.bpbDense, 12);
  expect(r.bpbConsolidated).not.toBe(r.bpbDense); // the consolidated weights really differ
  expect(Object.values(r.sparsityPerTensor).every((s) => s === 0.5)).toBe(true);
  const files = await readdir(dir);
  expect(files.sort()).toEqual(['consolidation.json', 'model.stlmq', 'state.json', 'weights.stlm']);
  const loaded = loadConsolidated(new Uint8Array(await readFile(path.join(dir, 'model.stlmq'))));
  expect(loaded.weights.length).toBe(weights.length);
  expect(loaded.meta.round).toBe(7);
  const state = JSON.parse(await readFile(path.join(dir, 'state.json'), 'utf8'));
  expect(state.metrics).toEqual({ loss: 5 });
  expect(state.consolidation.bpbConsolidated).toBe(r.bpbConsolidated);
  expect(state.consolidation.codecs).toBeUndefined();
});

it('rebuilds the validation set from the corpus with the coordinator Dataset split when none is given', async () => {
  const corpus = path.join(root, 'corpus.txt');
  // Large enough that its held-out tail (1%) is several examples.
  await writeFile(corpus, text.repeat(10));
  const { dir } = await writeCheckpoint('ckpt-2');
  const r = await consolidateCheckpoint(CheckpointStore.of(dir), dir, { corpus, sparsity: '2:4', quant: 'fp32', maxValidation: 3 });
  expect(r.round).toBe(2);
  expect(r.validationExamples).toBe(3);
  expect(r.sparsity).toBe('2:4');
  expect(Number.isFinite(r.bpbConsolidated)).toBe(true);
});

it('refuses a checkpoint without weights and a corrupt weights file, naming it', async () => {
  const empty = path.join(root, 'ckpt-9');
  await mkdir(empty);
  await expect(consolidateCheckpoint(CheckpointStore.of(empty), empty, { validation: [new Uint8Array([65])] })).rejects.toThrow(/no readable weights.stlm/);
  await writeFile(path.join(empty, 'weights.stlm'), new Uint8Array(40));
  await expect(consolidateCheckpoint(CheckpointStore.of(empty), empty, { validation: [new Uint8Array([65])] })).rejects.toThrow(/weights.stlm: .*magic/);
});

it('holds a lease on the checkpoint: a save that prunes it meanwhile leaves it until the consolidation is done', async () => {
  const store = new CheckpointStore(path.join(root, 'run'), { keep: 1 });
  const model = StlmModel.create(cfg, 5);
  const weights = model.getWeights();
  model.dispose();
  const zeros = new Float32Array(weights.length);
  const dataCursor = new Dataset({ train: [new Uint8Array([1, 2])], heldOut: [new Uint8Array([3])] }, { seed: 1 }).exportCursor();
  const snapshot = (round: number): CheckpointState => ({
    runId: 'r', config: cfg, settings: { seed: 1 }, dataCursor,
    state: { round, version: round, bytesProcessed: 0, weights, optimizer: { kind: 'adamw', m: zeros, v: zeros, t: 0 } },
  });
  const first = await store.save(snapshot(1));
  const validation = splitIntoExamples(textToBytes(text), cfg).slice(0, 6);
  const consolidating = consolidateCheckpoint(store, first, { validation });
  await store.save(snapshot(2)); // keep 1: round 1 would go now
  const r = await consolidating;
  expect(r.round).toBe(1);
  expect(r.file).toBe(path.join(first, 'model.stlmq'));
  // Released, it is pruned: no newer lease, not among the newest `keep`.
  expect((await store.list()).map((e) => e.round)).toEqual([2]);
});
