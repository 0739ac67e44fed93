// The coordinator's Prometheus metrics, in a registry of their own (two coordinators in one process, as in
// the tests, do not collide). The runtime updates them; GET /metrics serves `registry.metrics()`.
// Label values are bounded sets (peer kinds, directions, reason codes, phases): no peer ids, which would
// grow without bound over a long run.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The parts of a round's record and detail the metrics read (structural: rounds/round-loop.ts's types fit). */
export interface RoundObservation {
  record: { round: number; version: number; loss: number; bytes: number };
  detail?: {
    rejected: Array<{ reason: string }>;
    waitMs: number;
    aggregateMs: number;
    broadcastMs: number;
    wireBytesIn: number;
    wireBytesOut: number;
  };
}

export interface CreateMetricsOptions {
  /** Process metrics (CPU, memory, event-loop lag) under the `stlm_process_` prefix. Default true. */
  defaultMetrics?: boolean;
}

/** Reason strings can carry details ("undecodable gradient: ..."): keep the code before the first colon. */
export function reasonCode(reason: string): string {
  const code = reason.split(':')[0]!.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 40);
  return code || 'unknown';
}

export function createMetrics(opts: CreateMetricsOptions = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'stlm_process_' });
  const registers = [registry];

  const roundsTotal = new Counter({ name: 'stlm_rounds_total', help: 'Rounds completed (empty rounds included)', registers });
  const round = new Gauge({ name: 'stlm_round', help: 'Index of the last completed round', registers });
  const modelVersion = new Gauge({ name: 'stlm_model_version', help: 'Model version (updates applied)', registers });
  const peersConnected = new Gauge({ name: 'stlm_peers_connected', help: 'Connected peers by kind', labelNames: ['kind'] as const, registers });
  const bytesTrainedTotal = new Counter({ name: 'stlm_bytes_trained_total', help: 'Scored bytes in applied results', registers });
  const wireBytesTotal = new Counter({
    name: 'stlm_wire_bytes_total',
    help: 'Bytes on the data channels: out = assignments + model states, in = results',
    labelNames: ['direction'] as const,
    registers,
  });
  const rejectedResultsTotal = new Counter({
    name: 'stlm_rejected_results_total',
    help: 'Results not applied, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const peersDroppedTotal = new Counter({
    name: 'stlm_peers_dropped_total',
    help: 'Peer sessions ended by the coordinator, by error code (ERR_TOO_SLOW, ERR_HEARTBEAT_TIMEOUT, ...)',
    labelNames: ['code'] as const,
    registers,
  });
  const lastLoss = new Gauge({ name: 'stlm_train_loss', help: 'Byte-weighted training loss of the last applied round (nats per byte)', registers });
  const validationBpb = new Gauge({ name: 'stlm_validation_bits_per_byte', help: 'Last validation loss in bits per byte', registers });
  const checkpointsTotal = new Counter({ name: 'stlm_checkpoints_total', help: 'Checkpoints written', registers });
  const checkpointFailuresTotal = new Counter({ name: 'stlm_checkpoint_failures_total', help: 'Checkpoint writes that failed (each is retried)', registers });
  const checkpointFailuresInARow = new Gauge({
    name: 'stlm_checkpoint_failures_in_a_row',
    help: 'Checkpoint writes failed since the last one that landed (0: the last write landed)',
    registers,
  });
  const consolidatedSizeRatio = new Gauge({ name: 'stlm_consolidated_size_ratio', help: 'Last consolidated model file size over dense fp32', registers });
  const consolidatedBpbDelta = new Gauge({
    name: 'stlm_consolidated_bpb_delta',
    help: 'Last consolidation: validation bits per byte of the consolidated model minus the dense one',
    registers,
  });
  const taskAccuracy = new Gauge({
    name: 'stlm_task_accuracy',
    help: 'Zero-shot multiple-choice accuracy at the last scored checkpoint, by task file, model (dense, consolidated) and rule (sum, per_byte)',
    labelNames: ['task', 'model', 'rule'] as const,
    registers,
  });
  const roundPhaseSeconds = new Histogram({
    name: 'stlm_round_phase_seconds',
    help: 'Round phase durations: wait (peers compute + transfer), aggregate (screen + aggregate + step), broadcast',
    labelNames: ['phase'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers,
  });

  return {
    registry,
    roundsTotal,
    round,
    modelVersion,
    peersConnected,
    bytesTrainedTotal,
    wireBytesTotal,
    rejectedResultsTotal,
    peersDroppedTotal,
    lastLoss,
    validationBpb,
    checkpointsTotal,
    checkpointFailuresTotal,
    checkpointFailuresInARow,
    consolidatedSizeRatio,
    consolidatedBpbDelta,
    roundPhaseSeconds,
    taskAccuracy,

    /** A task's accuracies at the last scored checkpoint (`task` is the file's base name: a bounded set). */
    setTaskAccuracy(task: string, model: 'dense' | 'consolidated', sum: number, perByte: number): void {
      taskAccuracy.set({ task, model, rule: 'sum' }, sum);
      taskAccuracy.set({ task, model, rule: 'per_byte' }, perByte);
    },

    /** Everything one finished round tells: counters, gauges, phase timings, rejections by reason code. */
    observeRound(record: RoundObservation['record'], detail?: RoundObservation['detail']): void {
      roundsTotal.inc();
      round.set(record.round);
      modelVersion.set(record.version);
      if (record.bytes > 0) bytesTrainedTotal.inc(record.bytes);
      if (Number.isFinite(record.loss)) lastLoss.set(record.loss);
      if (!detail) return;
      wireBytesTotal.inc({ direction: 'in' }, detail.wireBytesIn);
      wireBytesTotal.inc({ direction: 'out' }, detail.wireBytesOut);
      for (const r of detail.rejected) rejectedResultsTotal.inc({ reason: reasonCode(r.reason) });
      roundPhaseSeconds.observe({ phase: 'wait' }, detail.waitMs / 1000);
      roundPhaseSeconds.observe({ phase: 'aggregate' }, detail.aggregateMs / 1000);
      roundPhaseSeconds.observe({ phase: 'broadcast' }, detail.broadcastMs / 1000);
    },

    /** Replaces the peer counts (kinds not given drop to zero by being removed). */
    setPeers(countsByKind: Record<string, number>): void {
      peersConnected.reset();
      for (const [kind, n] of Object.entries(countsByKind)) peersConnected.set({ kind }, n);
    },
  };
}

export type CoordinatorMetrics = ReturnType<typeof createMetrics>;
