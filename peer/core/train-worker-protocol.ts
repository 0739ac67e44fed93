// Messages between a ThreadedModel (the peer's training core) and its training workers (train-worker-core.ts),
// and the port a platform gives for one worker: worker_threads in Node, Web Workers in a tab. Both ends are
// this program's own code, so the messages are typed, not validated.
import type { BackendName } from '../../model/backend.ts';

export interface TrainWorkerInit {
  config: Record<string, unknown>;
  seed: number;
  backend: BackendName;
  /** Where a browser serves the tfjs .wasm files (unused in Node). */
  wasmPaths?: string;
  /** The model's weights, written by the main side before each 'weights' message (float32, by manifest). */
  weights: SharedArrayBuffer;
}

export type ToTrainWorker =
  | { type: 'init'; init: TrainWorkerInit }
  | { type: 'weights' }
  | { type: 'step'; id: number; examples: Uint8Array[] };

export type FromTrainWorker =
  | { type: 'ready'; backend: string }
  | { type: 'result'; id: number; loss: number; bytes: number; grads: Float32Array; tensors: number }
  | { type: 'failed'; id: number; message: string }
  | { type: 'setup-failed'; message: string };

/** One training worker as the main side sees it. */
export interface TrainWorkerPort {
  post(m: ToTrainWorker): void;
  onMessage(cb: (m: FromTrainWorker) => void): void;
  /** Called once when the worker dies for any reason other than terminate(). */
  onExit(cb: (reason: string) => void): void;
  terminate(): void;
}

/** The worker's own side of the channel. */
export interface TrainWorkerScope {
  post(m: FromTrainWorker, transfer?: ArrayBuffer[]): void;
  onMessage(cb: (m: ToTrainWorker) => void): void;
}

export type SpawnTrainWorker = () => TrainWorkerPort;
