// Messages between a ThreadedModel (the peer's main thread) and its training workers (train-worker.ts).
// Both ends are this process's own code, so they are typed, not validated.
import type { BackendName } from '../../model/backend.ts';

export interface TrainWorkerData {
  /** File URL of train-worker.ts, imported by ts-worker.mjs. */
  entry: string;
  config: Record<string, unknown>;
  seed: number;
  backend: BackendName;
  /** The model's weights, written by the main thread before each 'weights' message (float32, by manifest). */
  weights: SharedArrayBuffer;
}

export type ToTrainWorker =
  | { type: 'weights' }
  | { type: 'step'; id: number; examples: Uint8Array[] };

export type FromTrainWorker =
  | { type: 'ready'; backend: string }
  | { type: 'result'; id: number; loss: number; bytes: number; grads: Float32Array; tensors: number }
  | { type: 'failed'; id: number; message: string }
  | { type: 'setup-failed'; message: string };
