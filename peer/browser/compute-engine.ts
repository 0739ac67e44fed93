// Where the tab's tfjs work runs. Normally in a dedicated Web Worker (peer-worker.ts): a training step of
// the small preset takes seconds, and on the page it would freeze the UI (and hidden tabs throttle the
// page's timers). WebRTC stays on the page (no RTCPeerConnection in dedicated workers), so the page relays
// the protocol messages. If no worker can be started, the same trainer runs on the page, as before.
import type { BackendChoice, PickOptions } from './pick-backend.ts';
import type { ComputeEngine, TrainOptions, TrainingRun } from './engine.ts';
import { transferablesOf, type PageToWorker, type WorkerToPage } from './worker-protocol.ts';

/** How long a stopping worker may take to finish its step before it is terminated anyway. */
const STOP_GRACE_MS = 1000;

/** The trainer in a dedicated worker; the page relays messages between it and the transport. */
export class WorkerEngine implements ComputeEngine {
  readonly where = 'worker';
  readonly backend: Promise<BackendChoice>;
  private readonly worker: Worker;
  private settleBackend: { resolve(c: BackendChoice): void; reject(e: Error): void } | undefined;
  private run: TrainOptions | undefined;
  /** stop() was called: like a stopped PeerTrainer, nothing more is sent or reported (a step in progress
   *  may still post its result and stats). */
  private stopping = false;
  private finished = false;
  private terminated = false;
  private stopTimer: ReturnType<typeof setTimeout> | undefined;

  /** Throws if the browser cannot create the worker. */
  constructor(url: string | URL, pick: PickOptions) {
    // A classic worker: tfjs-wasm's emscripten code recognises a worker by importScripts, which module
    // workers lack.
    this.worker = new Worker(url, { name: 'stlm-trainer' });
    this.backend = new Promise<BackendChoice>((resolve, reject) => (this.settleBackend = { resolve, reject }));
    this.backend.catch(() => {}); // the caller awaits it; a failure must not also be an unhandled rejection
    this.worker.addEventListener('message', (ev: MessageEvent<WorkerToPage>) => this.onWorkerMessage(ev.data));
    this.worker.addEventListener('error', (ev: ErrorEvent) => {
      ev.preventDefault();
      this.onWorkerError(ev.message || 'the training worker could not be loaded');
    });
    this.post({ type: 'init', wasmPaths: pick.wasmPaths, force: pick.force, config: pick.config });
  }

  train(opts: TrainOptions): TrainingRun {
    if (this.run) throw new Error('this worker already trains a session');
    this.run = opts;
    this.post({ type: 'start', welcome: opts.welcome, backendName: opts.backendName });
    // The relay is the transport's only listener, so moving the message's buffers to the worker is safe.
    opts.transport.onMessage((msg) => this.post({ type: 'message', msg }, transferablesOf(msg)));
    opts.transport.onInvalid((err) => this.post({ type: 'invalid', code: err.code, message: err.message }));
    return { stop: (reason) => this.stop(reason) };
  }

  dispose(): void {
    this.terminate();
  }

  private stop(reason: string): void {
    if (this.finished) return;
    this.stopping = true;
    if (this.terminated) return this.finish(reason);
    // The trainer stops between messages; a step in progress is given a moment, then the worker is ended.
    this.post({ type: 'stop', reason });
    this.stopTimer ??= setTimeout(() => this.finish(reason), STOP_GRACE_MS);
  }

  private finish(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.stopTimer);
    this.terminate();
    this.run?.onClosed(reason);
  }

  private terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.worker.terminate();
  }

  private post(msg: PageToWorker, transfer: Transferable[] = []): void {
    if (!this.terminated) this.worker.postMessage(msg, transfer);
  }

  private onWorkerMessage(m: WorkerToPage): void {
    if (this.terminated) return;
    switch (m.type) {
      case 'backend':
        this.settleBackend?.resolve(m.choice);
        this.settleBackend = undefined;
        return;
      case 'backend-error':
        this.settleBackend?.reject(new Error(m.message));
        this.settleBackend = undefined;
        return;
      case 'send':
        // As MessageTransport.send: a failed send surfaces through the transport's close.
        if (!this.stopping) this.run?.transport.framed.send(m.bytes).catch(() => {});
        return;
      case 'stats':
        if (!this.stopping) this.run?.onStats(m.stats);
        return;
      case 'closed':
        this.finish(m.reason);
        return;
    }
  }

  private onWorkerError(message: string): void {
    if (this.settleBackend) {
      this.settleBackend.reject(new Error(message));
      this.settleBackend = undefined;
      this.terminate();
    } else if (this.run) {
      this.finish(`training worker failed: ${message}`);
    }
  }
}

/**
 * A worker engine whose backend is ready, or the page engine if no worker could be started or set up
 * (`note` says why). `useWorker: false` (the page's `?worker=0`) asks for the page engine.
 */
export async function startEngine(
  workerUrl: string | URL,
  pick: PickOptions,
  useWorker: boolean,
): Promise<{ engine: ComputeEngine; choice: BackendChoice; note?: string }> {
  let note: string | undefined;
  if (!useWorker) note = 'worker: not used (?worker=0)';
  else if (typeof Worker !== 'function') note = 'worker: not available in this browser';
  else {
    let engine: WorkerEngine | undefined;
    try {
      engine = new WorkerEngine(workerUrl, pick);
      return { engine, choice: await engine.backend };
    } catch (e) {
      engine?.dispose();
      note = `worker: failed (${(e as Error).message})`;
    }
  }
  // Loaded only then: the page bundle itself does not carry tfjs.
  const { PageEngine } = await import('./page-engine.ts');
  const engine = new PageEngine(pick);
  return { engine, choice: await engine.backend, note: `${note}; training runs on the page` };
}
