// A tab's training worker (bundled as dist/browser/train-worker.js, a classic worker like peer-worker.js):
// started by the peer worker, one per core, each with its own single-threaded tfjs-wasm and model replica.
import { serveTrainWorker } from '../core/train-worker-core.ts';
import type { FromTrainWorker, ToTrainWorker } from '../core/train-worker-protocol.ts';

const scope = globalThis as unknown as {
  postMessage(m: FromTrainWorker, transfer?: Transferable[]): void;
  addEventListener(type: 'message', cb: (ev: MessageEvent<ToTrainWorker>) => void): void;
};
serveTrainWorker({
  post: (m, transfer = []) => scope.postMessage(m, transfer),
  onMessage: (cb) => scope.addEventListener('message', (ev) => cb(ev.data)),
});
