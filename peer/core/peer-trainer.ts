// The training loop every peer runs, browser tab and Node process alike: model-state → ready,
// assignment → gradient (or H local AdamW steps → pseudo-gradient) → codec with error feedback → result.
// Platform-free: the transport and the model factory are passed in.
import type { MessageEndpoint } from '../../protocol/transport.ts';
import type { Message, MessageOf } from '../../protocol/messages.ts';
import { ErrorFeedback, codecByName, decodeGradient } from '../../protocol/codecs/index.ts';
import { AdamW } from '../../model/adamw.ts';
import type { StlmConfig } from '../../model/config.ts';
import { decayMaskFromManifest, type ParamManifest } from '../../model/params.ts';
import { emptyStats, type PeerStats } from './peer-stats.ts';
import { yieldToEventLoop } from './yield.ts';

/** The parts of a model a peer needs (model/stlm.ts's StlmModel has them). */
export interface PeerModel {
  readonly numParams: number;
  readonly manifest: ParamManifest;
  getWeights(): Float32Array;
  setWeights(w: Float32Array): void;
  /** May be asynchronous: a GPU backend reads its result without blocking, a threaded model awaits workers. */
  trainStep(batch: Uint8Array[]): PeerStepResult | Promise<PeerStepResult>;
  /** Threads training this model (a Node peer's worker threads, a tab's wasm threads); 1 if absent. */
  readonly threads?: number;
  dispose(): void;
}

export interface PeerStepResult {
  loss: number;
  bytes: number;
  grads: Float32Array;
}

export interface RunPeerOptions {
  /** A MessageTransport, or anything else that sends and receives validated messages (a worker's relay). */
  transport: MessageEndpoint;
  welcome: MessageOf<'welcome'>;
  createModel(config: StlmConfig, seed: number): PeerModel | Promise<PeerModel>;
  /** The tfjs backend actually in use, reported to the coordinator for its status page. */
  backendName: string;
  /** How the transport's frames travel (shown on the live line); 'webrtc' if absent. */
  transportKind?: PeerStats['transport'];
  onStats?(stats: PeerStats): void;
  /** Called once when the peer stops (transport closed, coordinator said goodbye, or stop()). */
  onClosed?(reason: string): void;
}

const HEARTBEAT_DEFAULT_MS = 2_000;

export class PeerTrainer {
  readonly stats: PeerStats;
  private model: PeerModel | undefined;
  /** The weights of the model version this peer holds (deltas are added to them). */
  private weights: Float32Array | undefined;
  private feedback: ErrorFeedback | undefined;
  private inner: AdamW | undefined;
  private queue: Promise<void> = Promise.resolve();
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(private readonly opts: RunPeerOptions) {
    this.stats = emptyStats(opts.welcome.peerId);
    if (opts.transportKind) this.stats.transport = opts.transportKind;
  }

  start(): void {
    const { transport, welcome } = this.opts;
    transport.onMessage((msg) => {
      // Messages are handled strictly in arrival order: a model state must be applied before the
      // assignment that follows it on the (ordered) data channel.
      this.queue = this.queue.then(() => this.handle(msg)).catch((e) => this.fail(e));
    });
    transport.onInvalid((err) => this.fail(new Error(`invalid message from coordinator: ${err.message}`)));
    const every = welcome.heartbeatMs > 0 ? welcome.heartbeatMs : HEARTBEAT_DEFAULT_MS;
    this.heartbeat = setInterval(() => this.send({ type: 'heartbeat', sentAt: Date.now() }), every);
    this.emit({ state: 'syncing' });
  }

  stop(reason = 'stopped'): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.model?.dispose();
    this.model = undefined;
    this.emit({ state: 'closed' });
    this.opts.onClosed?.(reason);
  }

  private async handle(msg: Message): Promise<void> {
    if (this.stopped) return;
    switch (msg.type) {
      case 'model-state':
        return this.applyModelState(msg);
      case 'assignment':
        return this.train(msg);
      case 'error':
        this.emit({ lastError: `${msg.code}: ${msg.message}` });
        if (msg.fatal) this.stop(`${msg.code}: ${msg.message}`);
        return;
      case 'leave':
        this.stop(`coordinator left: ${msg.reason}`);
        return;
      default:
        return; // heartbeats and anything else that needs no answer
    }
  }

  private async applyModelState(msg: MessageOf<'model-state'>): Promise<void> {
    const { welcome } = this.opts;
    // The model validates the config's fields itself (StlmModel.create → validateConfig).
    if (!this.model) this.model = await this.opts.createModel(welcome.config as unknown as StlmConfig, welcome.seed);
    let weights: Float32Array;
    if (msg.encoding === 'delta') {
      // A compressed update against the version this peer holds (coordinator/rounds/model-broadcast.ts).
      if (!this.weights || msg.baseVersion !== this.stats.modelVersion) {
        throw new Error(`model delta against version ${msg.baseVersion}, but this peer holds ${this.stats.modelVersion}`);
      }
      const d = decodeGradient(msg.weights, this.model.numParams);
      if (!d.ok) throw new Error(`undecodable model delta: ${d.error.message}`);
      weights = this.weights;
      for (let i = 0; i < weights.length; i++) weights[i] = weights[i]! + d.vector[i]!;
    } else {
      weights = new Float32Array(msg.weights.buffer.slice(msg.weights.byteOffset, msg.weights.byteOffset + msg.weights.byteLength));
      if (weights.length !== this.model.numParams) {
        throw new Error(`model state has ${weights.length} parameters, the model has ${this.model.numParams}`);
      }
    }
    this.weights = weights;
    this.model.setWeights(weights);
    this.stats.wireBytesIn += msg.weights.byteLength;
    const threads = this.model.threads ?? 1;
    this.emit({ state: 'ready', modelVersion: msg.version, round: msg.round, threads });
    this.send({ type: 'ready', version: msg.version, backend: this.opts.backendName, threads });
  }

  private async train(msg: MessageOf<'assignment'>): Promise<void> {
    const model = this.model;
    if (!model) throw new Error('assignment before any model state');
    if (msg.version !== this.stats.modelVersion) return; // cannot happen on an ordered channel; never train a stale model
    this.emit({ state: 'training', round: msg.round });
    const t0 = Date.now();
    let lossSum = 0;
    let bytes = 0;
    let vector: Float32Array;
    if (msg.localSteps <= 1) {
      // One gradient over every batch (a threaded peer gets one batch per thread and splits them again).
      const r = await model.trainStep(msg.batches.flatMap((b) => b.examples));
      lossSum = r.loss * r.bytes;
      bytes = r.bytes;
      vector = r.grads;
    } else {
      // Local-steps mode (DiLoCo): H inner AdamW steps, then send old − new as the pseudo-gradient.
      // The inner optimizer state stays on this peer across rounds, as in DiLoCo.
      const start = this.weights ?? model.getWeights();
      const w = start.slice();
      this.inner ??= new AdamW(model.numParams, {
        ...this.opts.welcome.innerOptimizer,
        decayMask: decayMaskFromManifest(model.manifest),
      });
      for (const b of msg.batches) {
        const r = await model.trainStep(b.examples);
        this.inner.step(w, r.grads, msg.lr);
        model.setWeights(w);
        lossSum += r.loss * r.bytes;
        bytes += r.bytes;
        // H steps can take minutes: between them socket.io's pings are answered and heartbeats go out, so
        // the coordinator does not take a busy peer for a dead one.
        await yieldToEventLoop();
        if (this.stopped) return;
      }
      vector = new Float32Array(start.length);
      for (let i = 0; i < start.length; i++) vector[i] = start[i]! - w[i]!;
      model.setWeights(start); // the coordinator's next state replaces these weights anyway
    }
    const computeMs = Date.now() - t0;
    const t1 = Date.now();
    this.feedback ??= new ErrorFeedback(codecByName(this.opts.welcome.codec), model.numParams);
    let payload: Uint8Array;
    try {
      payload = this.feedback.encode(vector);
    } catch (e) {
      // A non-finite gradient cannot be encoded (the codecs refuse NaN/Inf): tell the coordinator, which
      // requeues the batch, and stay for the next round (the next model state resets these weights).
      this.feedback = undefined;
      this.send({ type: 'error', code: 'ERR_NON_FINITE_GRADIENT', message: `round ${msg.round}: ${(e as Error).message}`, fatal: false });
      this.emit({ state: 'ready', lastError: (e as Error).message });
      return;
    }
    const encodeMs = Date.now() - t1;
    const loss = bytes > 0 ? lossSum / bytes : Number.NaN;
    this.send({
      type: 'result',
      round: msg.round,
      version: msg.version,
      batchIds: msg.batches.map((b) => b.batchId),
      loss,
      bytes,
      gradient: payload,
      computeMs,
      encodeMs,
    });
    this.stats.wireBytesOut += payload.byteLength;
    const elapsed = Math.max(1, Date.now() - t0);
    this.emit({
      state: 'ready',
      loss,
      bytesPerSec: (bytes * 1000) / elapsed,
      share: msg.roundPeers > 0 ? 1 / msg.roundPeers : Number.NaN,
      roundsDone: this.stats.roundsDone + 1,
      bytesTrained: this.stats.bytesTrained + bytes,
    });
  }

  private send(msg: Message): void {
    if (this.stopped) return;
    try {
      this.opts.transport.send(msg);
    } catch (e) {
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    const message = e instanceof Error ? e.message : String(e);
    this.emit({ lastError: message });
    this.stop(message);
  }

  private emit(patch: Partial<PeerStats>): void {
    Object.assign(this.stats, patch);
    this.opts.onStats?.({ ...this.stats });
  }
}

/** Starts a PeerTrainer over an already connected transport and returns it. */
export function runPeer(opts: RunPeerOptions): PeerTrainer {
  const t = new PeerTrainer(opts);
  t.start();
  return t;
}
