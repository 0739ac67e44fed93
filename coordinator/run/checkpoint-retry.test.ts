// A checkpoint write that fails (full or read-only disk, through the store's WriteFs seam: as root, chmod stops
// no write) does not throw out of a periodic save: it is logged, counted in /metrics, shown in the status and
// retried with backoff, each try with the state of that moment, until one lands.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../model/config.ts';
import { modelManifest } from '../../model/layout.ts';
import { manifestSize } from '../../model/params.ts';
import { Dataset } from '../../data/dataset.ts';
import { nodeFs, type WriteFs } from '../checkpoints/atomic-file.ts';
import { CheckpointStore } from '../checkpoints/store.ts';
import { CheckpointConsolidator } from '../consolidation/consolidator.ts';
import { RunJournal } from '../journal/journal.ts';
import { createMetrics } from '../journal/metrics.ts';
import { RunCheckpoints } from './checkpointing.ts';

const root = mkdtempSync(path.join(tmpdir(), 'stlm-ckpt-retry-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const config = resolveConfig('tiny');
const manifest = modelManifest(config);
const dataset = new Dataset({ train: Array.from({ length: 20 }, (_, i) => new Uint8Array([i + 1])), heldOut: [new Uint8Array([9])] }, { seed: 1 });

function snapshotAt(round: number) {
  const w = new Float32Array(manifestSize(manifest)).fill(round);
  const state = { round, version: round, bytesProcessed: 0, weights: w, optimizer: { kind: 'adamw' as const, m: w, v: w, t: 1 } };
  return { runId: 'r', config, settings: {}, state, dataCursor: dataset.exportCursor() };
}

describe('RunCheckpoints when writes fail', () => {
  it('logs, counts, shows and retries a failed write with backoff; the retry writes the state of its own moment', async () => {
    const runDir = path.join(root, 'run');
    let refuse: string | null = 'ENOSPC';
    const fs: WriteFs = {
      ...nodeFs,
      open: async (f, flags, mode) => {
        if (refuse && flags !== 'r') throw Object.assign(new Error(`${refuse}: no space left on device, open '${f}'`), { code: refuse });
        return nodeFs.open(f, flags, mode);
      },
    };
    const logs: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => logs.push(JSON.parse(line)) });
    const metrics = createMetrics({ defaultMetrics: false });
    let round = 4;
    const retried: string[] = [];
    const checkpoints = new RunCheckpoints({
      store: new CheckpointStore(runDir, { fs, warn: () => {} }),
      journal: new RunJournal(),
      consolidator: new CheckpointConsolidator(),
      metrics, logger, manifest,
      validationExamples: () => [],
      snapshot: () => snapshotAt(round),
      afterRetry: (p) => retried.push(p),
      retry: { minMs: 100, maxMs: 400 },
    });

    expect(await checkpoints.periodic()).toBeNull();
    const first = checkpoints.status();
    expect(first).toMatchObject({ failuresInARow: 1, lastError: expect.stringMatching(/ENOSPC/), lastWrittenAt: null });
    expect(Date.parse(first.nextRetryAt!) - Date.now()).toBeLessThanOrEqual(100);
    const failure = logs.find((l) => l.msg === 'checkpoint write failed: training goes on, the write will be retried')!;
    expect(failure).toMatchObject({ round: 4, code: 'ENOSPC', failuresInARow: 1, retryInMs: 100 });

    // Retries keep failing while the disk is full, further apart each time (100, 200, 400, 400 ms).
    await waitUntil(() => checkpoints.status().failuresInARow >= 3);
    const delays = logs.filter((l) => l.retryInMs !== undefined).map((l) => l.retryInMs);
    expect(delays.slice(0, 3)).toEqual([100, 200, 400]);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/stlm_checkpoint_failures_total [3-9]/);
    expect(text).toMatch(/stlm_checkpoint_failures_in_a_row [3-9]/);
    expect(readdirSync(runDir).filter((f) => f.startsWith('ckpt-'))).toEqual([]);

    // Space again: the next retry lands, with the round reached by then.
    round = 6;
    refuse = null;
    await waitUntil(() => checkpoints.status().failuresInARow === 0);
    expect(checkpoints.status()).toMatchObject({ failuresInARow: 0, nextRetryAt: null, lastError: expect.stringMatching(/ENOSPC/) });
    expect(checkpoints.status().lastWrittenAt).not.toBeNull();
    expect(retried).toEqual([path.join(runDir, 'ckpt-00000006')]);
    expect(await metrics.registry.metrics()).toMatch(/stlm_checkpoint_failures_in_a_row 0/);
    checkpoints.stop();
  });

  it('stop() cancels a pending retry', async () => {
    const fs: WriteFs = { ...nodeFs, mkdir: async () => Promise.reject(Object.assign(new Error('EROFS'), { code: 'EROFS' })) };
    const logger = pino({ level: 'silent' });
    const checkpoints = new RunCheckpoints({
      store: new CheckpointStore(path.join(root, 'ro'), { fs }), journal: new RunJournal(), consolidator: new CheckpointConsolidator(),
      metrics: createMetrics({ defaultMetrics: false }), logger, manifest, validationExamples: () => [],
      snapshot: () => snapshotAt(1),
      retry: { minMs: 50, maxMs: 50 },
    });
    expect(await checkpoints.periodic()).toBeNull();
    checkpoints.stop();
    expect(checkpoints.status().nextRetryAt).toBeNull();
    await new Promise((r) => setTimeout(r, 200));
    expect(checkpoints.status().failuresInARow).toBe(1);
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
