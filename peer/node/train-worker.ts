// One training worker thread of a Node peer: its own tfjs-wasm instance (wasm is single-threaded in Node,
// so threads are how a peer uses more than one core) and its own replica of the model. It computes the
// gradient of the share of a batch it is given; the main thread sums the shares (threaded-model.ts).
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../model/backend.ts';
import { StlmModel } from '../../model/stlm.ts';
import type { StlmConfig } from '../../model/config.ts';
import type { FromTrainWorker, ToTrainWorker, TrainWorkerData } from './train-worker-protocol.ts';

const port = parentPort;
if (!port) throw new Error('train-worker.ts runs only as a worker thread');
const data = workerData as TrainWorkerData;
const post = (m: FromTrainWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

try {
  const backend = await setupBackend(data.backend);
  const model = StlmModel.create(data.config as unknown as StlmConfig, data.seed);
  const weights = new Float32Array(data.weights);
  port.on('message', (m: ToTrainWorker) => {
    if (m.type === 'weights') {
      model.setWeights(weights); // copies out of the shared buffer before the next step message is read
      return;
    }
    try {
      const r = model.trainStep(m.examples);
      // Only a buffer the gradient owns alone is transferred (never a view into the wasm heap).
      const grads = r.grads.byteLength === r.grads.buffer.byteLength ? r.grads : r.grads.slice();
      post({ type: 'result', id: m.id, loss: r.loss, bytes: r.bytes, grads, tensors: tf.memory().numTensors }, [
        grads.buffer as ArrayBuffer,
      ]);
    } catch (e) {
      // A step that fails (e.g. diverged weights) fails the peer's step, as it would on one thread; the
      // worker itself stays usable for the next model state.
      post({ type: 'failed', id: m.id, message: e instanceof Error ? e.message : String(e) });
    }
  });
  post({ type: 'ready', backend });
} catch (e) {
  post({ type: 'setup-failed', message: e instanceof Error ? e.message : String(e) });
}
