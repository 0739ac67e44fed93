// The shape of GET /api/status: everything a dashboard or a script needs to see how the run is going.
import type { PeerSummary } from './peer-registry.ts';
import type { DatasetStats } from '../data/dataset.ts';

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
  /** Where the round's time went (the dashboard's round time split); see roundTiming(). */
  timing?: RoundTiming;
}

export interface RoundTiming {
  /** The slowest accepted peer's compute + encode time: the round cannot end before it. */
  computeMs: number;
  /** The rest of the wait for results: sending assignments and results, queuing. */
  transferMs: number;
  /** Screening + aggregation + optimizer step. */
  aggregationMs: number;
  /** Sending the new model state. */
  broadcastMs: number;
}

/** Splits a round's wall time from its detail (waitMs covers compute + transfer of the slowest peer). */
export function roundTiming(d: { waitMs: number; aggregateMs: number; broadcastMs: number; accepted: Array<{ computeMs: number; encodeMs: number }> }): RoundTiming {
  const computeMs = d.accepted.reduce((m, a) => Math.max(m, a.computeMs + a.encodeMs), 0);
  return { computeMs, transferMs: Math.max(0, d.waitMs - computeMs), aggregationMs: d.aggregateMs, broadcastMs: d.broadcastMs };
}

export interface CheckpointRecord {
  round: number;
  path: string;
  at: string;
  /** Set once this checkpoint was consolidated (coordinator/consolidate.ts's summary: size, sparsity, bpb). */
  consolidation?: Record<string, unknown>;
}

export interface CoordinatorStatus {
  runId: string;
  round: number;
  modelVersion: number;
  preset: string;
  /** The model's config (what a tab's backend check trains a step of before it joins). */
  config: Record<string, unknown>;
  numParams: number;
  mode: 'sync' | 'local-steps';
  localSteps: number;
  codec: string;
  aggregator: string;
  /** True while no round can start because no peer holds the current model. */
  waitingForPeers: boolean;
  /** An admin paused the run (no new rounds until resumed). */
  paused: boolean;
  peers: PeerSummary[];
  /** The last rounds, oldest first. */
  recentLoss: RoundRecord[];
  lastValidationBpb: number | null;
  validation: Array<{ round: number; bpb: number }>;
  bytesProcessed: number;
  /** Where the run is in its data: epoch, progress, outstanding and requeued batches. */
  data: DatasetStats;
  checkpoints: CheckpointRecord[];
  /** How checkpoints are consolidated, where a gradual schedule has got to, and the latest figures. */
  consolidation: ConsolidationStatus;
  startedAt: string;
}

export interface ConsolidationStatus {
  atCheckpoints: boolean;
  /** Target sparsity (or "2:4"). */
  sparsity: number | '2:4';
  /** What the next consolidation prunes to (below the target while a gradual schedule rises). */
  currentSparsity: number | '2:4';
  quant: 'int8' | 'fp32';
  scope: 'per-tensor' | 'global';
  schedule: string;
  /** The latest consolidation's summary (size ratio, sparsity per tensor, dense vs consolidated bpb), or null. */
  last: Record<string, unknown> | null;
  /** The latest consolidation's failure, if it failed (the run goes on). */
  lastError: string | null;
}
