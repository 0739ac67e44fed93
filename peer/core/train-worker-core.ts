// What one training worker does, on any platform: its own tfjs backend (single-threaded wasm: threads come
// from having several workers) and model replica; it computes the gradient of the share of a batch it is
// given, and the main side sums the shares (threaded-model.ts). Browser-safe: no Node built-ins.
import * as tf from '@tensorflow/tfjs';
import { setupBackend } from '../../model/backend.ts';
import type { StlmConfig } from '../../model/config.ts';
import { StlmModel } from '../../model/stlm.ts';
import type { ToTrainWorker, TrainWorkerInit, TrainWorkerScope } from './train-worker-protocol.ts';

export function serveTrainWorker(scope: TrainWorkerScope): void {
  let setup: Promise<{ model: StlmModel; weights: Float32Array } | undefined> | undefined;

  async function init(i: TrainWorkerInit) {
    try {
      const backend = await setupBackend(i.backend, { wasmPaths: i.wasmPaths, threads: 1 });
      const model = StlmModel.create(i.config as unknown as StlmConfig, i.seed);
      scope.post({ type: 'ready', backend });
      return { model, weights: new Float32Array(i.weights) };
    } catch (e) {
      scope.post({ type: 'setup-failed', message: e instanceof Error ? e.message : String(e) });
      return undefined;
    }
  }

  async function handle(m: Exclude<ToTrainWorker, { type: 'init' }>) {
    const s = await setup;
    if (!s) return;
    if (m.type === 'weights') {
      s.model.setWeights(s.weights); // copies out of the shared buffer before the next message is handled
      return;
    }
    try {
      const r = await s.model.trainStepAsync(m.examples);
      // Only a buffer the gradient owns alone is transferred (never a view into the wasm heap).
      const grads = r.grads.byteLength === r.grads.buffer.byteLength ? r.grads : r.grads.slice();
      scope.post({ type: 'result', id: m.id, loss: r.loss, bytes: r.bytes, grads, tensors: tf.memory().numTensors }, [
        grads.buffer as ArrayBuffer,
      ]);
    } catch (e) {
      // A step that fails (e.g. diverged weights) fails the peer's step, as it would on one thread; the
      // worker stays usable for the next model state.
      scope.post({ type: 'failed', id: m.id, message: e instanceof Error ? e.message : String(e) });
    }
  }

  // Strictly in arrival order: new weights must be in place before the step that follows them.
  let queue = Promise.resolve();
  scope.onMessage((m) => {
    if (m.type === 'init') {
      setup ??= init(m.init);
      return;
    }
    queue = queue.then(() => handle(m));
  });
}
