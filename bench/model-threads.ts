// bench:model's thread section: a sync round's compute on a peer (new weights to every replica, then the
// gradient) on the main thread, on one worker thread, and on two (peer/node/threaded-model.ts), measured in
// interleaved blocks on the wall clock (threads add up CPU time, so the process CPU clock cannot compare them).
// Two workers are measured both ways a threaded peer can be fed: one batch per thread (what the coordinator
// assigns it, as it would two one-thread peers) and one batch split in two.
import type { StlmConfig } from '../model/config.ts';
import { StlmModel } from '../model/stlm.ts';
import type { PeerModel } from '../peer/core/peer-trainer.ts';
import { ThreadedModel } from '../peer/core/threaded-model.ts';
import { spawnNodeTrainWorker } from '../peer/node/node-train-worker.ts';

export interface ThreadTimings {
  /** Scored bytes per wall-clock second, by configuration. */
  bytesPerSecond: { mainThread: number; workers1: number; workers2: number; workers2SplitBatch: number };
  /** workers2 over the main thread: what `--threads 2` gives a peer over one thread. */
  threadSpeedup: number;
  /** workers2SplitBatch over the main thread: the same batch cut in two. */
  splitBatchSpeedup: number;
  stepsPerConfiguration: number;
}

type Name = keyof ThreadTimings['bytesPerSecond'];

export async function measureThreads(
  cfg: StlmConfig,
  batchAt: (i: number) => Uint8Array[],
  opts: { blocks: number; stepsPerBlock: number; log(msg: string): void },
): Promise<ThreadTimings> {
  const two = await ThreadedModel.create(cfg, 1, { threads: 2, spawn: spawnNodeTrainWorker });
  const runs: Record<Name, { model: PeerModel; batchesPerStep: number }> = {
    mainThread: { model: StlmModel.create(cfg, 1), batchesPerStep: 1 },
    workers1: { model: await ThreadedModel.create(cfg, 1, { threads: 1, spawn: spawnNodeTrainWorker }), batchesPerStep: 1 },
    workers2: { model: two, batchesPerStep: 2 },
    workers2SplitBatch: { model: two, batchesPerStep: 1 },
  };
  const names = Object.keys(runs) as Name[];
  const weights = runs.mainThread.model.getWeights();
  const totals = Object.fromEntries(names.map((n) => [n, { bytes: 0, seconds: 0 }])) as Record<Name, { bytes: number; seconds: number }>;
  let next = 0;
  const step = async (n: Name): Promise<number> => {
    const { model, batchesPerStep } = runs[n];
    model.setWeights(weights);
    const batch = Array.from({ length: batchesPerStep }, () => batchAt(next++)).flat();
    return (await model.trainStep(batch)).bytes;
  };
  for (const n of names) await step(n); // warm-up
  // Interleaved blocks: load from other jobs on the shared machine hits every configuration alike.
  for (let block = 0; block < opts.blocks; block++) {
    for (const n of names) {
      const t0 = performance.now();
      for (let i = 0; i < opts.stepsPerBlock; i++) totals[n].bytes += await step(n);
      totals[n].seconds += (performance.now() - t0) / 1000;
    }
  }
  for (const n of names) runs[n].model.dispose();
  const bytesPerSecond = Object.fromEntries(names.map((n) => [n, Math.round(totals[n].bytes / totals[n].seconds)])) as ThreadTimings['bytesPerSecond'];
  opts.log(`threads (B/s): ${names.map((n) => `${n} ${bytesPerSecond[n]}`).join(', ')}`);
  return {
    bytesPerSecond,
    threadSpeedup: Number((bytesPerSecond.workers2 / bytesPerSecond.mainThread).toFixed(3)),
    splitBatchSpeedup: Number((bytesPerSecond.workers2SplitBatch / bytesPerSecond.mainThread).toFixed(3)),
    stepsPerConfiguration: opts.blocks * opts.stepsPerBlock,
  };
}
