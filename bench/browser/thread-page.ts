// The page of bench:browser-threads: runs one configuration (W workers, each with T wasm threads, all at once,
// each on its own batches) and reports the scored bytes they trained per wall-clock second together.
import type { ThreadWorkerJob, ThreadWorkerResult } from './thread-worker.ts';
import { resolveConfig } from '../../model/config.ts';
import { ThreadedModel } from '../../peer/core/threaded-model.ts';
import { webTrainWorkerPort } from '../../peer/browser/web-train-worker.ts';

interface Configuration {
  workers: number;
  threadsPerWorker: number;
  preset: string;
  /** One list of batches per worker. */
  batches: number[][][][];
}

async function runConfiguration(c: Configuration): Promise<{ bytesPerSecond: number; perWorker: ThreadWorkerResult[] }> {
  const workers = Array.from({ length: c.workers }, () => new Worker('/assets/thread-worker.js'));
  const results = await Promise.all(
    workers.map(
      (w, i) =>
        new Promise<ThreadWorkerResult>((resolve, reject) => {
          w.onmessage = (ev: MessageEvent<ThreadWorkerResult | { error: string }>) =>
            'error' in ev.data ? reject(new Error(ev.data.error)) : resolve(ev.data);
          w.onerror = (e) => reject(new Error(e.message));
          const job: ThreadWorkerJob = { preset: c.preset, wasmPaths: '/tfjs-wasm/', threads: c.threadsPerWorker, batches: c.batches[i]! };
          w.postMessage(job);
        }),
    ),
  );
  for (const w of workers) w.terminate();
  // Workers run at once: together they trained their bytes in the longest worker's time.
  const bytes = results.reduce((s, r) => s + r.bytes, 0);
  const seconds = Math.max(...results.map((r) => r.seconds));
  return { bytesPerSecond: bytes / seconds, perWorker: results };
}

/**
 * The tab's own training pool (what the peer worker runs on wasm): a ThreadedModel over `workers` Web Workers
 * running train-worker.js, one batch per worker in each step, new weights to every replica before it.
 */
async function runPool(c: { workers: number; preset: string; steps: number[][][] }): Promise<{ bytesPerSecond: number }> {
  const model = await ThreadedModel.create(resolveConfig(c.preset), 1, {
    threads: c.workers,
    spawn: () => webTrainWorkerPort('/assets/train-worker.js'),
    wasmPaths: '/tfjs-wasm/',
  });
  const weights = model.getWeights();
  const [warm, ...timed] = c.steps.map((b) => b.map((ex) => Uint8Array.from(ex)));
  await model.trainStep(warm!);
  let bytes = 0;
  const t0 = performance.now();
  for (const b of timed) {
    model.setWeights(weights);
    bytes += (await model.trainStep(b)).bytes;
  }
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  return { bytesPerSecond: bytes / seconds };
}

(globalThis as unknown as { runConfiguration: typeof runConfiguration }).runConfiguration = runConfiguration;
(globalThis as unknown as { runPool: typeof runPool }).runPool = runPool;
(globalThis as unknown as { pageInfo: () => unknown }).pageInfo = () => ({
  crossOriginIsolated: globalThis.crossOriginIsolated === true,
  cores: navigator.hardwareConcurrency,
  userAgent: navigator.userAgent,
});
