// GET /api/status, a versioned contract: everything a dashboard or a script needs to see how the run is going.
// The coordinator builds it (coordinator/run.ts), the dashboard and the peer page read it (ui/status-client.ts).
// Plain data only; a change that removes or retypes a field bumps STATUS_VERSION.

export const STATUS_VERSION = 1;


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
  /** Where the round's time went (the dashboard's round time split; coordinator/journal/round-timing.ts's roundTiming). */
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

export interface CheckpointRecord {
  round: number;
  /** The checkpoint's directory name within the run dir (in /api/status; the coordinator keeps the full path). */
  path: string;
  at: string;
  /** Set once this checkpoint was consolidated (coordinator/consolidation/consolidate-checkpoint.ts's summary: size, sparsity, bpb). */
  consolidation?: Record<string, unknown>;
}

export interface CoordinatorStatus {
  /** STATUS_VERSION of the coordinator that answered. */
  statusVersion: number;
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
  peers: PeerStatus[];
  /** The last rounds, oldest first. */
  recentLoss: RoundRecord[];
  lastValidationBpb: number | null;
  validation: Array<{ round: number; bpb: number }>;
  bytesProcessed: number;
  /** Where the run is in its data: epoch, progress, outstanding and requeued batches. */
  data: DataStatus;
  checkpoints: CheckpointRecord[];
  /** How checkpoints are consolidated, where a gradual schedule has got to, and the latest figures. */
  consolidation: ConsolidationStatus;
  startedAt: string;
  /** Validation runs after every round that is a multiple of this (0: never); the dashboard counts down to it. */
  evalEvery: number;
  /** A checkpoint is written after every round that is a multiple of this (0: only on demand and at exit). */
  checkpointEvery: number;
  /** What general-purpose compressors reach on the validation set (the reference lines of the validation
   * chart); null while the coordinator still computes them in the background, or if that failed. */
  compressorReference: CompressorReference | null;
}

/** gzip -9 and brotli -q 11 bits per byte on the validation examples' bytes, given training text first. */
export interface CompressorReference {
  gzip: number;
  brotli: number;
  /** Training text the compressors saw before the held-out bytes (its last bytes, capped). */
  contextBytes: number;
  heldOutBytes: number;
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

/** One peer as /api/status shows it. */
export interface PeerStatus {
  id: string;
  kind: string;
  backend: string;
  threads: number;
  backendStepMs: Partial<Record<string, number>> | undefined;
  state: 'connecting' | 'syncing' | 'ready' | 'gone';
  /** How the peer's frames travel: its WebRTC data channel, or relayed over its socket.io connection. */
  transport: PeerTransport;
  bytesPerSec: number;
  roundsContributed: number;
  bytesContributed: number;
  rejected: number;
  lastRejection: string | undefined;
  lastSeen: string;
}

export type PeerTransport = 'webrtc' | 'relay';

/** Where the run is in its data. */
export interface DataStatus {
  trainExamples: number;
  validationExamples: number;
  trainBytes: number;
  validationBytes: number;
  epoch: number;
  /** Fraction of the current epoch's fresh examples already served. */
  epochProgress: number;
  outstandingBatches: number;
  requeuedBatches: number;
}
