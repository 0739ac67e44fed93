// A Node peer's model on all cores: N worker threads, each with its own tfjs-wasm instance and model replica
// (train-worker.ts). A training step splits the batch into one contiguous share per worker and sums the
// shares' gradients weighted by their scored bytes, which is exactly the gradient of the mean loss over the
// whole batch; the coordinator sees one peer and one result. A worker that dies is reported and its share
// is trained again by a live one, so the peer goes on with the rest.
import { Worker } from 'node:worker_threads';
import type { BackendName } from '../../model/backend.ts';
import { validateConfig, type StlmConfig } from '../../model/config.ts';
import { initWeights, modelManifest } from '../../model/layout.ts';
import { manifestSize, type ParamManifest } from '../../model/params.ts';
import type { PeerModel } from '../core/peer-trainer.ts';
import type { FromTrainWorker, ToTrainWorker, TrainWorkerData } from './train-worker-protocol.ts';

/** Anything with a Worker's messaging and lifecycle; tests pass real Workers they keep a handle on. */
export type WorkerLike = Pick<Worker, 'postMessage' | 'on' | 'off' | 'terminate'>;

export interface ThreadedModelOptions {
  threads: number;
  backend?: BackendName;
  /** Called once for each worker that dies; the model goes on with the others. */
  onWorkerLost?(index: number, reason: string, threadsLeft: number): void;
  /** Starts one worker thread (default: a real Worker running train-worker.ts). */
  spawn?(data: TrainWorkerData): WorkerLike;
}

interface StepShare {
  loss: number;
  bytes: number;
  grads: Float32Array;
}

const TS_WORKER = new URL('./ts-worker.mjs', import.meta.url);
const TRAIN_WORKER = new URL('./train-worker.ts', import.meta.url).href;

function spawnWorker(data: TrainWorkerData): WorkerLike {
  return new Worker(TS_WORKER, { workerData: data });
}

class WorkerLostError extends Error {}

/** One worker thread and the steps it has in flight. */
class TrainWorker {
  alive = true;
  /** numTensors in the worker's tfjs after its last step. */
  tensors = 0;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(s: StepShare): void; reject(e: Error): void }>();

  constructor(
    readonly index: number,
    private readonly worker: WorkerLike,
    private readonly onLost: (w: TrainWorker, reason: string) => void,
  ) {}

  /** Resolves when the worker's backend and model are set up. */
  ready(): Promise<string> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromTrainWorker) => {
        if (m.type === 'ready') resolve(m.backend);
        else if (m.type === 'setup-failed') reject(new Error(`training worker ${this.index}: ${m.message}`));
        else return;
        this.worker.off('message', onMessage);
        this.worker.on('message', (msg: FromTrainWorker) => this.settle(msg));
      };
      this.worker.on('message', onMessage);
      this.worker.on('error', (e: Error) => {
        reject(e);
        this.lose(e.message);
      });
      this.worker.on('exit', (code: number) => {
        reject(new Error(`training worker ${this.index} exited (code ${code}) during setup`));
        this.lose(`exited with code ${code}`);
      });
    });
  }

  post(m: ToTrainWorker): void {
    if (this.alive) this.worker.postMessage(m);
  }

  step(examples: Uint8Array[]): Promise<StepShare> {
    if (!this.alive) return Promise.reject(new WorkerLostError(`training worker ${this.index} is gone`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'step', id, examples } satisfies ToTrainWorker);
    });
  }

  terminate(): Promise<number> {
    this.alive = false;
    return this.worker.terminate();
  }

  private settle(m: FromTrainWorker): void {
    if (m.type !== 'result' && m.type !== 'failed') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.type === 'failed') return p.reject(new Error(m.message));
    this.tensors = m.tensors;
    p.resolve({ loss: m.loss, bytes: m.bytes, grads: m.grads });
  }

  private lose(reason: string): void {
    if (!this.alive) return;
    this.alive = false;
    for (const p of this.pending.values()) p.reject(new WorkerLostError(`training worker ${this.index} ${reason}`));
    this.pending.clear();
    this.onLost(this, reason);
  }
}

export class ThreadedModel implements PeerModel {
  readonly manifest: ParamManifest;
  readonly numParams: number;
  /** The backend each worker reported, e.g. "wasm". */
  readonly backend: string;
  private disposed = false;

  private constructor(
    config: StlmConfig,
    private readonly weights: Float32Array,
    private readonly workers: TrainWorker[],
    backend: string,
  ) {
    this.manifest = modelManifest(config);
    this.numParams = manifestSize(this.manifest);
    this.backend = backend;
  }

  /** Starts `threads` workers, each with the model built from `config` and `seed`, and waits until all are up. */
  static async create(config: StlmConfig, seed: number, opts: ThreadedModelOptions): Promise<ThreadedModel> {
    if (!Number.isInteger(opts.threads) || opts.threads < 1) throw new Error(`threads must be a positive integer, got ${opts.threads}`);
    const spawn = opts.spawn ?? spawnWorker;
    let model: ThreadedModel | undefined;
    const onLost = (w: TrainWorker, reason: string) => {
      if (model && !model.disposed) opts.onWorkerLost?.(w.index, reason, model.threads);
    };
    const checked = validateConfig({ ...config });
    // One copy of the weights that every worker reads, instead of a structured clone per worker and round.
    const shared = new Float32Array(new SharedArrayBuffer(manifestSize(modelManifest(checked)) * 4));
    shared.set(initWeights(checked, seed));
    const data: TrainWorkerData = { entry: TRAIN_WORKER, config: { ...checked }, seed, backend: opts.backend ?? 'wasm', weights: shared.buffer };
    const workers = Array.from({ length: opts.threads }, (_, i) => new TrainWorker(i, spawn(data), onLost));
    let backends: string[];
    try {
      backends = await Promise.all(workers.map((w) => w.ready()));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    model = new ThreadedModel(checked, shared, workers, backends[0]!);
    return model;
  }

  /** Worker threads still alive. */
  get threads(): number {
    return this.workers.filter((w) => w.alive).length;
  }

  /** numTensors of each live worker after its last step (flat over many steps, or a worker leaks). */
  get tensorCounts(): number[] {
    return this.workers.filter((w) => w.alive).map((w) => w.tensors);
  }

  getWeights(): Float32Array {
    return this.weights.slice();
  }

  setWeights(w: Float32Array): void {
    if (w.length !== this.numParams) throw new Error(`setWeights: got ${w.length} floats, the model has ${this.numParams} parameters`);
    // Safe to overwrite: a worker reads the buffer when it takes this message, and no step is in flight
    // (the peer sets weights between steps); a later write is followed by its own message.
    this.weights.set(w);
    for (const worker of this.workers) worker.post({ type: 'weights' });
  }

  async trainStep(batch: Uint8Array[]): Promise<{ loss: number; bytes: number; grads: Float32Array }> {
    if (this.disposed) throw new Error('ThreadedModel used after dispose()');
    const live = this.workers.filter((w) => w.alive);
    if (live.length === 0) throw new Error('every training worker of this peer has died');
    const parts = Math.min(live.length, batch.length);
    const shares = Array.from({ length: parts }, (_, i) =>
      batch.slice(Math.floor((i * batch.length) / parts), Math.floor(((i + 1) * batch.length) / parts)),
    );
    const results = await Promise.all(shares.map((share, i) => this.trainShare(share, live[i]!)));
    if (results.length === 1) return results[0]!;
    const bytes = results.reduce((s, r) => s + r.bytes, 0);
    const grads = results[0]!.grads; // transferred to this thread: summed into in place
    const first = results[0]!.bytes / bytes;
    for (let i = 0; i < grads.length; i++) grads[i] = grads[i]! * first;
    for (const r of results.slice(1)) {
      const weight = r.bytes / bytes;
      for (let i = 0; i < grads.length; i++) grads[i] = grads[i]! + weight * r.grads[i]!;
    }
    const loss = results.reduce((s, r) => s + r.loss * r.bytes, 0) / bytes;
    return { loss, bytes, grads };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.workers) void w.terminate();
  }

  /** Trains one share on `worker`, or on the next live worker if that one dies meanwhile. */
  private async trainShare(share: Uint8Array[], worker: TrainWorker): Promise<StepShare> {
    try {
      return await worker.step(share);
    } catch (e) {
      if (!(e instanceof WorkerLostError) || this.disposed) throw e;
      const next = this.workers.find((w) => w.alive);
      if (!next) throw new Error(`every training worker of this peer has died (last: ${e.message})`);
      return this.trainShare(share, next);
    }
  }
}
