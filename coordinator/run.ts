// One training run: corpus → dataset, the master model and its optimizer state, the round loop, periodic
// validation and checkpoints, liveness sweeping, and the status/metrics views of all that.
import type { Logger } from 'pino';
import type { CoordinatorSettings } from './config.ts';
import type { Message, MessageOf, ModelConfigJson } from '../protocol/messages.ts';
import { PROTOCOL_VERSION } from '../protocol/messages.ts';
import { resolveConfig } from '../model/config.ts';
import { bytesToText } from '../model/bytes.ts';
import { decayMaskFromManifest } from '../model/params.ts';
import { generate } from '../model/generate.ts';
import { StlmModel } from '../model/stlm.ts';
import { setupBackend } from '../model/backend.ts';
import { validationBitsPerByte } from './validation.ts';
import { loadCorpus } from '../data/corpus.ts';
import { Dataset } from '../data/dataset.ts';
import { DeadlineEstimator } from './deadline.ts';
import { CheckpointStore } from './checkpoint.ts';
import { summary } from './consolidate.ts';
import { CheckpointConsolidator, type ConsolidatorState } from './checkpoint-consolidator.ts';
import { parsePruneSchedule } from '../model/compress/schedule.ts';
import { createMetrics } from './metrics.ts';
import type { PeerRegistry } from './peer-registry.ts';
import { TrainingState } from './training-state.ts';
import { TrainingLoop, type RoundDetail } from './training-loop.ts';
import { roundTiming, type CheckpointRecord, type CoordinatorStatus, type RoundRecord } from './status.ts';

export interface Run {
  runId: string;
  loop: TrainingLoop;
  state: TrainingState;
  welcome: Omit<MessageOf<'welcome'>, 'type' | 'peerId'>;
  metrics: ReturnType<typeof createMetrics>;
  status(): CoordinatorStatus;
  start(): void;
  /** Resolves when the loop has ended (maxRounds reached or stop()) and a consolidation under way is done. */
  readonly finished: Promise<void>;
  stop(): Promise<void>;
  checkpoint(reason: string): Promise<string | undefined>;
  /** Writes a checkpoint and consolidates it (prune + int8, scored against the dense model); the summary. */
  consolidate(): Promise<Record<string, unknown>>;
  /** Text sampled from the current master weights (the dashboard's sample box). */
  sample(prompt: string, maxBytes: number): { text: string; round: number };
}

const RECENT_ROUNDS = 200;
const HEARTBEAT_MS = 2_000;
/** A peer whose results keep failing screening is dropped after this many in a row. */
export const MAX_REJECTIONS_IN_A_ROW = 3;

export async function createRun(
  settings: CoordinatorSettings,
  registry: PeerRegistry<Message>,
  logger: Logger,
  onRound?: (record: RoundRecord, detail: RoundDetail) => void,
): Promise<Run> {
  const store = new CheckpointStore(settings.runDir, { keep: settings.keepCheckpoints, warn: (m) => logger.warn(m) });
  const ck = settings.resume ? await store.latest() : null;
  if (settings.resume && !ck) throw new Error(`--resume: no usable checkpoint in ${settings.runDir}`);
  if (ck) {
    // What defines the run (model shape, data and its order) comes from the checkpoint, so that
    // `--resume --run-dir DIR` alone continues exactly; flags such as --port or --codec still apply.
    const saved = ck.settings as Partial<CoordinatorSettings>;
    settings = {
      ...settings,
      preset: saved.preset ?? settings.preset,
      seed: saved.seed ?? settings.seed,
      data: saved.data,
      validationFraction: saved.validationFraction ?? settings.validationFraction,
      localSteps: saved.localSteps ?? settings.localSteps,
    };
    // Gradual pruning's masks are part of the run: their target, scope and schedule come with them.
    const savedPolicy = saved.consolidation;
    if (ck.pruning && savedPolicy) {
      const { sparsity, scope, schedule, pruneEmbedding } = savedPolicy;
      settings.consolidation = { ...settings.consolidation, sparsity, scope, schedule, pruneEmbedding };
    }
  }
  const config = ck ? ck.config : resolveConfig(settings.preset);
  await setupBackend(settings.backend ?? 'wasm');
  const corpus = await loadCorpus(settings.data);
  const dataset = Dataset.fromCorpus(corpus.bytes, config, {
    seed: settings.seed,
    validationFraction: settings.validationFraction,
  });
  const evalModel = StlmModel.create(config, settings.seed);
  const state = new TrainingState({
    weights: evalModel.getWeights(),
    localSteps: settings.localSteps,
    aggregator: settings.aggregator,
    trimFraction: settings.trimFraction,
    schedule: settings.schedule,
    // No weight decay on norm gains, exactly as LocalTrainer (the single-process reference) does.
    adamw: { ...settings.adamw, decayMask: decayMaskFromManifest(evalModel.manifest) },
    outer: settings.outer,
  });
  let runId = settings.runId;
  const history: RoundRecord[] = [];
  const validation: Array<{ round: number; bpb: number }> = [];
  const checkpoints: CheckpointRecord[] = [];
  const policy = settings.consolidation;
  const consolidator = new CheckpointConsolidator({
    sparsity: policy.sparsity,
    quant: policy.quant,
    scope: policy.scope,
    pruneEmbedding: policy.pruneEmbedding,
    schedule: parsePruneSchedule(policy.schedule),
  });
  let consolidationError: string | null = null;

  if (ck) {
    // A dense checkpoint may start a gradual schedule; masks saved by one continue it.
    if (ck.pruning) consolidator.importState(evalModel.manifest, ck.pruning as ConsolidatorState);
    state.restore(ck.state);
    dataset.importCursor(ck.dataCursor);
    runId = ck.runId;
    history.push(...(ck.history?.rounds ?? []));
    validation.push(...(ck.history?.validation ?? []));
    logger.info({ round: state.round, version: state.version, path: ck.path }, 'resumed from checkpoint');
  }

  const metrics = createMetrics();
  const deadline = new DeadlineEstimator(settings.deadline);
  const startedAt = new Date().toISOString();

  const saveCheckpoint = async (reason: string): Promise<string | undefined> => {
    const path = await store.save({
      runId,
      config,
      settings: { ...settings, token: undefined, adminToken: undefined },
      state: state.snapshot(),
      dataCursor: dataset.exportCursor(),
      history: { rounds: history.slice(-RECENT_ROUNDS), validation },
      pruning: consolidator.gradual ? consolidator.exportState() : undefined,
    });
    // Saving a round again replaces its directory, so it replaces its record too.
    const again = checkpoints.findIndex((c) => c.path === path);
    if (again >= 0) checkpoints.splice(again, 1);
    checkpoints.push({ round: state.round, path, at: new Date().toISOString() });
    metrics.checkpointsTotal.inc();
    logger.info({ round: state.round, path, reason }, 'checkpoint written');
    return path;
  };

  /** Consolidates the checkpoint in `path` (prune + quantize, scored against the dense model at that round). */
  const consolidateAt = async (path: string): Promise<Record<string, unknown>> => {
    try {
      const report = summary(await consolidator.consolidate(path, dataset.validationExamples(settings.validationExamples)));
      consolidationError = null;
      const record = checkpoints.find((c) => c.path === path);
      if (record) record.consolidation = report as unknown as Record<string, unknown>;
      metrics.consolidatedSizeRatio.set(report.sizeRatio);
      metrics.consolidatedBpbDelta.set(report.bpbDelta);
      logger.info(
        { path, sparsity: report.sparsity, sizeRatio: report.sizeRatio, bpbDense: report.bpbDense, bpbConsolidated: report.bpbConsolidated },
        'checkpoint consolidated',
      );
      return report as unknown as Record<string, unknown>;
    } catch (e) {
      consolidationError = (e as Error).message;
      throw e;
    }
  };

  // Periodic consolidation runs beside the rounds (it reads the checkpoint from disk and yields between
  // validation batches), so training does not stop for it (about 10 s for the small preset). One at a time;
  // if checkpoints come faster, the newest waiting one is consolidated next and older waiting ones are skipped.
  let consolidating: Promise<void> | null = null;
  let waitingToConsolidate: string | null = null;
  const consolidateInBackground = (path: string) => {
    if (waitingToConsolidate) logger.info({ path: waitingToConsolidate }, 'checkpoint not consolidated: a newer one came first');
    waitingToConsolidate = path;
    if (consolidating) return;
    consolidating = (async () => {
      while (waitingToConsolidate) {
        const next = waitingToConsolidate;
        waitingToConsolidate = null;
        // A failed consolidation is reported and the run goes on: the dense checkpoint is already safe.
        await consolidateAt(next).catch((e) => logger.error({ path: next, err: (e as Error).message }, 'consolidation failed'));
      }
    })().finally(() => (consolidating = null));
  };

  const validate = async () => {
    evalModel.setWeights(state.weights);
    const bpb = await validationBitsPerByte(evalModel, dataset.validationExamples(settings.validationExamples));
    validation.push({ round: state.round, bpb });
    metrics.validationBpb.set(bpb);
    logger.info({ round: state.round, bpb }, 'validation');
    return bpb;
  };

  const loop = new TrainingLoop({
    state,
    registry,
    dataset,
    deadline,
    logger,
    batchSize: settings.batchSize,
    codec: settings.codec,
    localSteps: settings.localSteps,
    minPeers: settings.minPeers,
    maxRejectionsInARow: MAX_REJECTIONS_IN_A_ROW,
    maxRounds: settings.maxRounds > 0 ? settings.maxRounds : Number.POSITIVE_INFINITY,
    afterRound: async (record, detail) => {
      history.push({ ...record, timing: roundTiming(detail) });
      if (history.length > RECENT_ROUNDS) history.shift();
      metrics.observeRound(record, detail);
      metrics.setPeers(countByKind(registry));
      onRound?.(record, detail);
      if (settings.evalEvery > 0 && state.round % settings.evalEvery === 0) await validate();
      if (settings.checkpointEvery > 0 && state.round % settings.checkpointEvery === 0) {
        const path = await saveCheckpoint('periodic');
        if (path && policy.atCheckpoints) consolidateInBackground(path);
      }
    },
    afterStep: () => {
      // Gradual pruning: the schedule steps up where a periodic checkpoint is about to be written (this round's
      // afterRound writes it), and between those the masks hold the pruned master weights at exactly 0.
      // Both happen before the new weights go out, so peers and master stay identical.
      const nextRound = state.round + 1;
      if (settings.checkpointEvery > 0 && nextRound % settings.checkpointEvery === 0) {
        consolidator.beforeCheckpoint(state.weights, evalModel.manifest);
      } else consolidator.afterOptimizerStep(state.weights);
    },
  });

  // Liveness: a peer silent past the timeout is dropped (its batch requeued by the round). If this process
  // itself was blocked (a long validation), the timer fires late and the silence is ours, not the peers'.
  let lastSweep = Date.now();
  const sweeper = setInterval(() => {
    const now = Date.now();
    const lag = now - lastSweep - HEARTBEAT_MS;
    lastSweep = now;
    if (lag > HEARTBEAT_MS) return;
    for (const p of registry.silentSince(settings.heartbeatTimeoutMs, now)) {
      // A browser tab or Node peer deep in a long training step cannot send heartbeats (tfjs blocks its
      // thread); the round deadline bounds it instead.
      if (loop.isWorking(p.id)) continue;
      registry.kick(p.id, 'ERR_HEARTBEAT_TIMEOUT', `no message for ${settings.heartbeatTimeoutMs} ms`);
    }
  }, HEARTBEAT_MS);
  sweeper.unref();

  let finished: Promise<void> = Promise.resolve();
  return {
    runId,
    loop,
    state,
    metrics,
    get finished() {
      return finished;
    },
    welcome: {
      protocolVersion: PROTOCOL_VERSION,
      runId,
      config: config as unknown as ModelConfigJson,
      seed: settings.seed,
      codec: settings.codec,
      localSteps: settings.localSteps,
      iceServers: settings.iceServers,
      heartbeatMs: HEARTBEAT_MS,
      innerOptimizer: settings.adamw,
    },
    status: () => ({
      runId,
      round: state.round,
      modelVersion: state.version,
      preset: settings.preset,
      config: { ...config },
      numParams: state.numParams,
      mode: state.mode,
      localSteps: settings.localSteps,
      codec: settings.codec,
      aggregator: settings.aggregator,
      waitingForPeers: loop.waitingForPeers,
      paused: loop.paused,
      peers: registry.summaries(),
      recentLoss: history.slice(-50),
      lastValidationBpb: validation.at(-1)?.bpb ?? null,
      validation,
      bytesProcessed: state.bytesProcessed,
      data: dataset.stats(),
      checkpoints: checkpoints.slice(-20),
      consolidation: {
        atCheckpoints: policy.atCheckpoints,
        sparsity: policy.sparsity,
        currentSparsity: consolidator.currentSparsity,
        quant: policy.quant,
        scope: policy.scope,
        schedule: policy.schedule,
        last: (consolidator.last as unknown as Record<string, unknown>) ?? null,
        lastError: consolidationError,
      },
      startedAt,
    }),
    start() {
      finished = (async () => {
        if (validation.length === 0 && settings.evalEvery > 0) await validate();
        await loop.run();
        while (consolidating) await consolidating;
      })().catch((e) => {
        logger.error({ err: e }, 'round loop failed');
        throw e;
      });
    },
    async stop() {
      clearInterval(sweeper);
      loop.stop();
      await finished.catch(() => {});
    },
    checkpoint: saveCheckpoint,
    async consolidate() {
      const path = await saveCheckpoint('consolidate');
      if (!path) throw new Error('no checkpoint written');
      return consolidateAt(path);
    },
    sample(prompt, maxBytes) {
      evalModel.setWeights(state.weights);
      const out = generate(evalModel, prompt, { maxBytes, temperature: 0.8, topK: 40, seed: state.round });
      return { text: bytesToText(out), round: state.round };
    },
  };
}

function countByKind(registry: PeerRegistry<Message>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of registry.all()) out[p.kind] = (out[p.kind] ?? 0) + 1;
  return out;
}
