// Entry of a Node peer's training worker thread (started through ts-worker.mjs by node-train-worker.ts).
import { parentPort } from 'node:worker_threads';
import { serveTrainWorker } from '../core/train-worker-core.ts';
import type { ToTrainWorker } from '../core/train-worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('train-worker.ts runs only as a worker thread');
serveTrainWorker({
  post: (m, transfer = []) => port.postMessage(m, transfer),
  onMessage: (cb) => port.on('message', (m: ToTrainWorker) => cb(m)),
});
