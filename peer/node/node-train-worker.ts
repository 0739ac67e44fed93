// Training workers of a Node peer as worker_threads (tfjs-wasm is single-threaded in Node: a thread per core
// is how a peer uses them all).
import { Worker } from 'node:worker_threads';
import type { FromTrainWorker, TrainWorkerPort } from '../core/train-worker-protocol.ts';

const TS_WORKER = new URL('./ts-worker.mjs', import.meta.url);
const TRAIN_WORKER = new URL('./train-worker.ts', import.meta.url).href;

/** A worker thread running train-worker.ts. */
export function startNodeTrainWorker(): Worker {
  return new Worker(TS_WORKER, { workerData: { entry: TRAIN_WORKER } });
}

/** The port ThreadedModel talks to; an exit not asked for by terminate() is reported as the worker's death. */
export function nodeTrainWorkerPort(worker: Worker): TrainWorkerPort {
  let terminating = false;
  let exitCb: ((reason: string) => void) | undefined;
  let lastError: string | undefined;
  worker.on('error', (e: Error) => (lastError = e.message));
  worker.on('exit', (code) => {
    if (!terminating) exitCb?.(lastError ? `crashed: ${lastError}` : `exited with code ${code}`);
  });
  return {
    post: (m) => worker.postMessage(m),
    onMessage: (cb) => worker.on('message', (m: FromTrainWorker) => cb(m)),
    onExit: (cb) => (exitCb = cb),
    terminate: () => {
      terminating = true;
      void worker.terminate();
    },
  };
}

export const spawnNodeTrainWorker = () => nodeTrainWorkerPort(startNodeTrainWorker());
