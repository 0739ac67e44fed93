// A peer's model on all cores: N training workers (worker threads in Node, Web Workers in a tab), each with
// its own single-threaded tfjs-wasm and model replica (train-worker-core.ts). A training step splits the batch
// into one contiguous share per worker and sums the shares' gradients weighted by their scored bytes, which is
// exactly the gradient of the mean loss over the whole batch; the coordinator sees one peer and one result.
// A worker that dies is reported and its share is trained again by a live one, so the peer goes on with the
// rest. Platform-free: the platform passes how to start a worker.
import type { BackendName } from '../../model/backend.ts';
import { validateConfig, type StlmConfig } from '../../model/config.ts';
import { initWeights, modelManifest } from '../../model/layout.ts';
import { manifestSize, type ParamManifest } from '../../model/params.ts';
import type { PeerModel, PeerStepResult } from './peer-trainer.ts';
import type { FromTrainWorker, SpawnTrainWorker, TrainWorkerPort } from './train-worker-protocol.ts';

export interface ThreadedModelOptions {
  threads: number;
  spawn: SpawnTrainWorker;
  backend?: BackendName;
  /** Where a browser serves the tfjs .wasm files. */
  wasmPaths?: string;
  /** Called once for each worker that dies; the model goes on with the others. */
  onWorkerLost?(index: number, reason: string, threadsLeft: number): void;
}

class WorkerLostError extends Error {}

/** The gradient of the whole batch: the shares' gradients weighted by their scored bytes, in share order. */
function combineShares(results: PeerStepResult[]): PeerStepResult {
  if (results.length === 1) return results[0]!;
  const bytes = results.reduce((s, r) => s + r.bytes, 0);
  const weights = results.map((r) => r.bytes / bytes);
  const parts = results.map((r) => r.grads);
  const grads = parts[0]!; // transferred to this thread: summed into in place
  for (let i = 0; i < grads.length; i++) {
    let g = weights[0]! * grads[i]!;
    for (let k = 1; k < parts.length; k++) g += weights[k]! * parts[k]![i]!;
    grads[i] = g;
  }
  const loss = results.reduce((s, r) => s + r.loss * r.bytes, 0) / bytes;
  return { loss, bytes, grads };
}

/** One training worker and the steps it has in flight. */
class TrainWorker {
  alive = true;
  /** numTensors in the worker's tfjs after its last step. */
  tensors = 0;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(s: PeerStepResult): void; reject(e: Error): void }>();
  private setup: { resolve(backend: string): void; reject(e: Error): void } | undefined;

  constructor(
    readonly index: number,
    private readonly port: TrainWorkerPort,
    private readonly onLost: (w: TrainWorker, reason: string) => void,
  ) {
    port.onMessage((m) => this.settle(m));
    port.onExit((reason) => this.lose(reason));
  }

  /** Resolves when the worker's backend and model are set up. */
  ready(): Promise<string> {
    return new Promise((resolve, reject) => {
      this.setup = { resolve, reject };
    });
  }

  post(m: Parameters<TrainWorkerPort['post']>[0]): void {
    if (this.alive) this.port.post(m);
  }

  step(examples: Uint8Array[]): Promise<PeerStepResult> {
    if (!this.alive) return Promise.reject(new WorkerLostError(`training worker ${this.index} is gone`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.post({ type: 'step', id, examples });
    });
  }

  terminate(): void {
    this.alive = false;
    this.port.terminate();
  }

  private settle(m: FromTrainWorker): void {
    if (m.type === 'ready') return this.setup?.resolve(m.backend);
    if (m.type === 'setup-failed') return this.setup?.reject(new Error(`training worker ${this.index}: ${m.message}`));
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
    const err = new WorkerLostError(`training worker ${this.index} ${reason}`);
    this.setup?.reject(err);
    for (const p of this.pending.values()) p.reject(err);
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
    const checked = validateConfig({ ...config });
    // One copy of the weights that every worker reads, instead of a structured clone per worker and round.
    const initial = initWeights(checked, seed);
    const shared = new Float32Array(new SharedArrayBuffer(initial.byteLength));
    shared.set(initial);
    let model: ThreadedModel | undefined;
    const onLost = (w: TrainWorker, reason: string) => {
      if (model && !model.disposed) opts.onWorkerLost?.(w.index, reason, model.threads);
    };
    const workers = Array.from({ length: opts.threads }, (_, i) => new TrainWorker(i, opts.spawn(), onLost));
    const init = { config: { ...checked }, seed, backend: opts.backend ?? 'wasm', wasmPaths: opts.wasmPaths, weights: shared.buffer as SharedArrayBuffer };
    let backends: string[];
    try {
      const ready = workers.map((w) => w.ready());
      for (const r of ready) r.catch(() => {}); // awaited together below; one failure must not go unhandled
      for (const w of workers) w.post({ type: 'init', init });
      backends = await Promise.all(ready);
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    model = new ThreadedModel(checked, shared, workers, backends[0]!);
    return model;
  }

  /** Workers still alive. */
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

  async trainStep(batch: Uint8Array[]): Promise<PeerStepResult> {
    if (this.disposed) throw new Error('ThreadedModel used after dispose()');
    const live = this.workers.filter((w) => w.alive);
    if (live.length === 0) throw new Error('every training worker of this peer has died');
    // One share per worker: cutting finer (so a slowed worker takes fewer shares) was measured slower, the
    // smaller products costing more than the balance gained.
    const parts = Math.min(live.length, batch.length);
    const shares = Array.from({ length: parts }, (_, i) =>
      batch.slice(Math.floor((i * batch.length) / parts), Math.floor(((i + 1) * batch.length) / parts)),
    );
    const results = await Promise.all(shares.map((share, i) => this.trainShare(share, live[i]!)));
    return combineShares(results);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const w of this.workers) w.terminate();
  }

  /** Trains one share on `worker`, or on the next live worker if that one dies meanwhile. */
  private async trainShare(share: Uint8Array[], worker: TrainWorker): Promise<PeerStepResult> {
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
