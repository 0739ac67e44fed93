// What the page asks of the place its tfjs work runs (a Web Worker, or the page itself): compute-engine.ts
// and page-engine.ts implement it.
import type { MessageOf } from '../../protocol/messages.ts';
import type { MessageTransport } from '../../protocol/transport.ts';
import type { PeerStats } from '../core/peer-stats.ts';
import type { BackendChoice } from './pick-backend.ts';

export interface TrainOptions {
  transport: MessageTransport;
  welcome: MessageOf<'welcome'>;
  backendName: string;
  onStats(s: PeerStats): void;
  /** Once, when the trainer stopped (on its own or after stop()). */
  onClosed(reason: string): void;
}

export interface TrainingRun {
  /** Stops the trainer (a worker is terminated once it stopped). Safe to call twice. */
  stop(reason: string): void;
}

export interface ComputeEngine {
  /** Shown on the page ("Training in"). */
  readonly where: 'worker' | 'page';
  /** The tfjs backend, chosen where the model lives. */
  readonly backend: Promise<BackendChoice>;
  /** Runs the peer/core trainer over the transport; an engine trains one session. */
  train(opts: TrainOptions): TrainingRun;
  /** Releases the engine without training (terminates its worker). */
  dispose(): void;
}
