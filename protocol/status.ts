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
  /** Whether checkpoints are landing: a failed write (full or read-only disk) is retried while training goes on. */
  checkpointWrites?: CheckpointWriteStatus;
  /** How checkpoints are consolidated, where a gradual schedule has got to, and the latest figures. */
  consolidation: ConsolidationStatus;
  /** Zero-shot multiple choice at each checkpoint; only when the coordinator was given --eval-tasks. */
  tasks?: TaskEvalStatus;
  startedAt: string;
  /** Who may join: the limits and the joins refused so far (coordinator/peers/admission.ts). */
  admission?: AdmissionStatus;
  /** Validation runs after every round that is a multiple of this (0: never); the dashboard counts down to it. */
  evalEvery: number;
  /** A checkpoint is written after every round that is a multiple of this (0: only on demand and at exit). */
  checkpointEvery: number;
  /** What general-purpose compressors reach on the validation set (the reference lines of the validation
   * chart); null while the coordinator still computes them in the background, or if that failed. */
  compressorReference: CompressorReference | null;
}

export interface AdmissionStatus {
  maxPeers: number;
  maxPeersPerAddress: number;
  joinsPerMinutePerAddress: number;
  joinsPerMinute: number;
  /** Peer slots held now (connecting peers included). */
  peers: number;
  /** Joins refused so far, by error code (ERR_FULL, ERR_ADDRESS_LIMIT, ERR_RATE_LIMITED, ERR_BACKOFF). */
  refused: Record<string, number>;
  /** Peers dropped for misbehaviour (each one's token and address then wait before they may rejoin). */
  misbehaviourDrops: number;
}

/** One task file's multiple-choice accuracy (data/tasks/evaluate-tasks.ts's TaskReport). */
export interface TaskAccuracy {
  task: string;
  format: string;
  /** Questions scored. */
  count: number;
  /** Malformed lines skipped. */
  skipped: number;
  /** Accuracy of a random guess. */
  chance: number;
  /** The option with the highest summed log-likelihood wins. */
  sum: AccuracyFigure;
  /** The option with the highest log-likelihood per byte wins. */
  perByte: AccuracyFigure;
}

export interface AccuracyFigure {
  correct: number;
  accuracy: number;
  /** 95% Wilson score interval. */
  ci95: [number, number];
}

/** The task scores of one checkpoint. */
export interface TaskEvalRecord {
  round: number | null;
  /** The checkpoint's directory name within the run dir. */
  checkpoint: string;
  at: string;
  ms: number;
  dense: TaskAccuracy[];
  /** The checkpoint's consolidated model (null when it was not consolidated). */
  consolidated: TaskAccuracy[] | null;
}

export interface TaskEvalStatus {
  /** The task files, as given. */
  files: string[];
  /** The latest checkpoint scored, or null before the first. */
  last: TaskEvalRecord | null;
  /** The latest evaluation's failure (the run goes on). */
  lastError: string | null;
}

export interface CheckpointWriteStatus {
  /** Writes failed since the last one that landed (0: the last one landed). */
  failuresInARow: number;
  /** The latest failure's message (it stays after a later success, with its time), or null if none failed. */
  lastError: string | null;
  lastErrorAt: string | null;
  /** When the next try is due while writes fail (ISO time), else null. */
  nextRetryAt: string | null;
  /** When the latest checkpoint landed, or null if none has in this process. */
  lastWrittenAt: string | null;
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
  /** How the peer's frames travel: its WebRTC data channel, or relayed over its socket.io connection
   *  because WebRTC could not connect. */
  transport: PeerTransport;
  state: 'connecting' | 'syncing' | 'ready' | 'gone';
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
