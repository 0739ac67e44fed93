// The fallback engine: the trainer on the page itself, for browsers that cannot start the training worker
// (compute-engine.ts). Each step blocks the page while it runs. Loaded on demand, so the page bundle does
// not carry tfjs when the worker is used.
import { runPeer } from '../core/peer-trainer.ts';
import { stlmPeerModel } from '../core/stlm-peer-model.ts';
import { pickBackend, type BackendChoice, type PickOptions } from './pick-backend.ts';
import type { ComputeEngine, TrainOptions, TrainingRun } from './engine.ts';

let pagePick: Promise<BackendChoice> | undefined;

/** The trainer on the page itself (browsers without workers): each step blocks the page while it runs. */
export class PageEngine implements ComputeEngine {
  readonly where = 'page';
  readonly backend: Promise<BackendChoice>;

  constructor(pick: PickOptions) {
    // tfjs lives once per page: its backend is picked once (wasm paths are fixed at initialisation).
    // No training workers on the page path: wasm trains on this one thread.
    this.backend = pagePick ??= pickBackend({ ...pick, workers: false });
  }

  train(opts: TrainOptions): TrainingRun {
    const trainer = runPeer({
      transport: opts.transport,
      welcome: opts.welcome,
      backendName: opts.backendName,
      createModel: stlmPeerModel,
      onStats: opts.onStats,
      onClosed: opts.onClosed,
    });
    return { stop: (reason) => trainer.stop(reason) };
  }

  dispose(): void {}
}

