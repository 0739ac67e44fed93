// The shape of GET /api/status: everything a dashboard or a script needs to see how the run is going.
import type { PeerSummary } from './peer-registry.ts';

export interface RoundRecord {
  round: number;
  version: number;
  /** Byte-weighted mean training loss of the accepted results (nats per byte). */
  loss: number;
  /** Scored bytes trained this round. */
  bytes: number;
  peers: number;
  rejected: number;
  durationMs: number;
  at: string;
}

export interface CheckpointRecord {
  round: number;
  path: string;
  at: string;
}

export interface CoordinatorStatus {
  runId: string;
  round: number;
  modelVersion: number;
  preset: string;
  numParams: number;
  mode: 'sync' | 'local-steps';
  localSteps: number;
  codec: string;
  aggregator: string;
  /** True while no round can start because no peer holds the current model. */
  waitingForPeers: boolean;
  peers: PeerSummary[];
  /** The last rounds, oldest first. */
  recentLoss: RoundRecord[];
  lastValidationBpb: number | null;
  validation: Array<{ round: number; bpb: number }>;
  bytesProcessed: number;
  checkpoints: CheckpointRecord[];
  startedAt: string;
}
