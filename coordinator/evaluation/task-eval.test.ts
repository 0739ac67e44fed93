// Task scoring at a checkpoint: dense and consolidated models scored from the checkpoint's own files, the
// figures in the status and the metrics, the event loop served between batches, and failures kept, not thrown.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from '../../model/backend.ts';
import { resolveConfig } from '../../model/config.ts';
import { initWeights, modelManifest } from '../../model/layout.ts';
import { encodeWeightsFile } from '../../model/weights-file.ts';
import { StlmModel } from '../../model/stlm.ts';
import { loadConsolidated } from '../../model/compress/consolidate.ts';
import { parseTaskText } from '../../data/tasks/task-file.ts';
import { evaluateTasks } from '../../data/tasks/evaluate-tasks.ts';
import { CheckpointStore } from '../checkpoints/store.ts';
import { consolidateCheckpoint } from '../consolidation/consolidate-checkpoint.ts';
import { createMetrics } from '../journal/metrics.ts';
import { CheckpointTaskEval } from './task-eval.ts';

const logger = pino({ level: 'silent' });
const cfg = resolveConfig('tiny');
const weights = initWeights(cfg, 9);
const blimp = parseTaskText(Array.from({ length: 12 }, (_, i) => JSON.stringify({ sentence_good: `The cats sleep ${i} times.`, sentence_bad: `The cats sleeps ${i} times.` })).join('\n'), '/data/blimp.jsonl');
const hellaswag = parseTaskText(JSON.stringify({ ctx: 'She opens the door and', endings: ['walks in.', 'sky.', 'fish the mat.'], label: 0 }), 'hella.jsonl');
let root: string;
let ckpt: string;

beforeAll(async () => {
  await setupBackend('wasm');
  root = await mkdtemp(path.join(tmpdir(), 'stlm-task-eval-'));
  ckpt = path.join(root, 'ckpt-00000004');
  await mkdir(ckpt);
  await writeFile(path.join(ckpt, 'weights.stlm'), encodeWeightsFile({ config: cfg, weights, manifest: modelManifest(cfg) }));
  await writeFile(path.join(ckpt, 'state.json'), JSON.stringify({ round: 4, settings: {} }));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The same tasks scored directly on the given weights: what the checkpoint's figures must equal. */
function direct(w: Float32Array) {
  const model = StlmModel.fromWeights(cfg, w);
  try {
    return evaluateTasks(model, [blimp, hellaswag]).map((r) => ({ ...r, task: path.basename(r.task) }));
  } finally {
    model.dispose();
  }
}

describe('CheckpointTaskEval', () => {
  it('scores the dense weights before consolidation, both models after; status and metrics carry the figures', async () => {
    const store = new CheckpointStore(root);
    const metrics = createMetrics({ defaultMetrics: false });
    const te = new CheckpointTaskEval({ tasks: [blimp, hellaswag], store, metrics, logger, batchSize: 2 });
    // Base names only: no host paths in /api/status.
    expect(te.status()).toEqual({ files: ['blimp.jsonl', 'hella.jsonl'], last: null, lastError: null });

    const before = await te.evaluate(ckpt);
    expect(before!.consolidated).toBeNull();
    expect(before!.round).toBe(4);
    expect(before!.checkpoint).toBe('ckpt-00000004');
    expect(before!.dense).toEqual(direct(weights));

    // Once consolidated, the checkpoint's model.stlmq is scored too, exactly as its own weights score directly.
    await consolidateCheckpoint(store, ckpt, { sparsity: 0.5, quant: 'int8', validation: [new TextEncoder().encode('some text to score')] });
    const after = (await te.evaluate(ckpt))!;
    const q = loadConsolidated(new Uint8Array(await readFile(path.join(ckpt, 'model.stlmq')))).weights;
    expect(after.consolidated).toEqual(direct(q));
    expect(after.dense).toEqual(before!.dense);
    expect(te.status().last).toEqual(after);

    const text = await metrics.registry.metrics();
    const d = after.dense[0];
    expect(text).toContain(`stlm_task_accuracy{task="blimp.jsonl",model="dense",rule="sum"} ${d.sum.accuracy}`);
    expect(text).toContain(`stlm_task_accuracy{task="blimp.jsonl",model="dense",rule="per_byte"} ${d.perByte.accuracy}`);
    expect(text).toContain(`stlm_task_accuracy{task="hella.jsonl",model="consolidated",rule="sum"} ${after.consolidated![1].sum.accuracy}`);
  }, 60_000);

  it('lets the event loop run between batches', async () => {
    const te = new CheckpointTaskEval({ tasks: [blimp], store: new CheckpointStore(root), metrics: createMetrics({ defaultMetrics: false }), logger, batchSize: 1 });
    let turns = 0;
    let done = false;
    const tick = () => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    await te.evaluate(ckpt);
    done = true;
    // 24 options (12 questions x 2), one a batch, for each of dense and consolidated: a turn between each.
    expect(turns).toBeGreaterThan(20);
  }, 60_000);

  it('a checkpoint it cannot read is a failure in the status, not an exception', async () => {
    const te = new CheckpointTaskEval({ tasks: [blimp], store: new CheckpointStore(root), metrics: createMetrics({ defaultMetrics: false }), logger });
    expect(await te.evaluate(path.join(root, 'ckpt-00000099'))).toBeNull();
    expect(te.status().lastError).toMatch(/ckpt-00000099 has no readable weights\.stlm/);
  });
});
