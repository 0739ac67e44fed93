// One training run, composed: the run opened from settings or a checkpoint (run/open.ts), the round loop and
// its hooks (validation, checkpoints, background consolidation and task scoring, gradual pruning), the liveness
// sweep, and the status built from all of them.
import type { Logger } from 'pino';
import type { CoordinatorSettings } from './settings/settings.ts';
import { PROTOCOL_VERSION, type Message, type MessageOf, type ModelConfigJson } from '../protocol/messages.ts';
import type { CoordinatorStatus, RoundRecord } from '../protocol/status.ts';
import { bytesToText } from '../model/bytes.ts';
import { generateAsync } from '../model/generate.ts';
import { StlmModel } from '../model/stlm.ts';
import { BackgroundConsolidation } from './consolidation/background.ts';
import { startLivenessSweep } from './peers/liveness.ts';
import { createMetrics } from './journal/metrics.ts';
import type { PeerRegistry } from './peers/registry.ts';
import { openRun } from './run/open.ts';
import { checkpointsGoToBackground, roundLoop } from './run/round-hooks.ts';
import { RunCheckpoints, savedSettings } from './run/checkpointing.ts';
import { runStatus } from './journal/status.ts';
import type { MasterState } from './optimizer/master-state.ts';
import type { RoundLoop } from './rounds/round-loop.ts';
import type { RoundDetail } from './rounds/detail.ts';
import { validationBitsPerByte } from './run/validation.ts';
import { CheckpointTaskEval, loadTaskFiles } from './evaluation/task-eval.ts';
import { startCompressorReference } from './run/compressor-reference.ts';

export interface Run {
  runId: string;
  loop: RoundLoop;
  state: MasterState;
  welcome: Omit<MessageOf<'welcome'>, 'type' | 'peerId'>;
  metrics: ReturnType<typeof createMetrics>;
  status(): CoordinatorStatus;
  start(): void;
  /** Resolves when the loop has ended (maxRounds reached or stop()) and a consolidation under way is done. */
  readonly finished: Promise<void>;
  stop(): Promise<void>;
  /** Lets go of the run directory's lock (after stop() and a last checkpoint). */
  releaseRunDir(): Promise<void>;
  /** An admin's pause: no new rounds until resume() (a round under way finishes). */
  pause(): { paused: boolean };
  resume(): { paused: boolean };
  checkpoint(reason: string): Promise<string | undefined>;
  /** Writes a checkpoint and consolidates it (prune + int8, scored against the dense model); the summary. */
  consolidate(): Promise<Record<string, unknown>>;
  /** Text sampled from the current master weights (the dashboard's sample box), a byte at a time between
   *  other work (model/generate.ts's generateAsync): it never holds the event loop for more than a forward pass. */
  sample(prompt: string, maxBytes: number): Promise<{ text: string; round: number }>;
}

const HEARTBEAT_MS = 2_000;

/** When a peer on 'auto' stops waiting for WebRTC and asks for the relay: well inside the coordinator's own
 *  data-channel timeout (which still refuses a peer that asks for neither), and soon enough that a tab whose
 *  browser gathers no usable candidate starts training within seconds. */
export function relayAfterMs(dataChannelTimeoutMs: number): number {
  return Math.min(5_000, Math.floor(dataChannelTimeoutMs / 2));
}
export { MAX_REJECTIONS_IN_A_ROW } from './run/round-hooks.ts';

export async function createRun(
  given: CoordinatorSettings,
  registry: PeerRegistry<Message>,
  logger: Logger,
  onRound?: (record: RoundRecord, detail: RoundDetail) => void,
): Promise<Run> {
  // Task files are read first: one with no valid line stops the coordinator before anything is written.
  const tasks = given.evalTasks?.length ? await loadTaskFiles(given.evalTasks, logger) : [];
  const opened = await openRun(given, logger);
  const { settings, config, runId, dataset, evalModel, state, consolidator, journal } = opened;
  let sampleModel: StlmModel | undefined;
  const metrics = createMetrics();
  const validationExamples = () => dataset.validationExamples(settings.validationExamples);
  const reference = startCompressorReference(opened.trainText, validationExamples(), logger);
  const checkpoints = new RunCheckpoints({
    store: opened.store, journal, consolidator, metrics, logger, validationExamples, manifest: evalModel.manifest,
    lock: opened.lock, runDirError: opened.runDirError,
    afterRetry: (path) => checkpointsGoToBackground(settings) && background.offer(path),
    snapshot: () => ({
      runId, config,
      settings: savedSettings(settings),
      state: state.snapshot(),
      dataCursor: dataset.exportCursor(),
    }),
  });
  const taskEval = tasks.length > 0 ? new CheckpointTaskEval({ tasks, store: opened.store, metrics, logger }) : null;
  // After a periodic checkpoint, off the round loop: consolidate it, then score the tasks on both models.
  const afterCheckpoint = async (path: string) => {
    try {
      if (settings.consolidation.atCheckpoints) await checkpoints.consolidate(path);
    } finally {
      await taskEval?.evaluate(path);
    }
  };
  const background = new BackgroundConsolidation(afterCheckpoint, logger, (path) => opened.store.lease(path));
  const validate = async () => {
    evalModel.setWeights(state.weights);
    const bpb = await validationBitsPerByte(evalModel, validationExamples());
    journal.recordValidation(state.round, bpb);
    metrics.validationBpb.set(bpb);
    logger.info({ round: state.round, bpb }, 'validation');
  };
  const loop = roundLoop({ opened, registry, logger, metrics, checkpoints, background, validate, onRound });

  const stopSweep = startLivenessSweep({
    timeoutMs: settings.heartbeatTimeoutMs,
    everyMs: HEARTBEAT_MS,
    silentSince: (ms, now) => registry.silentSince(ms, now),
    isWorking: (id) => loop.isWorking(id),
    drop: (p, reason) => registry.kick(p.id, 'ERR_HEARTBEAT_TIMEOUT', reason),
  });
  const startedAt = new Date().toISOString();
  let finished: Promise<void> = Promise.resolve();
  return {
    runId, loop, state, metrics,
    get finished() {
      return finished;
    },
    welcome: {
      protocolVersion: PROTOCOL_VERSION, runId, config: config as unknown as ModelConfigJson, seed: settings.seed, codec: settings.codec,
      localSteps: settings.localSteps, iceServers: settings.iceServers, heartbeatMs: HEARTBEAT_MS, innerOptimizer: settings.adamw,
      ...(settings.relay ? { relay: { afterMs: relayAfterMs(settings.dataChannelTimeoutMs) } } : {}),
    },
    status: () => ({
      ...runStatus({ runId, startedAt, settings, config, state, loop, registry, dataset, journal, consolidator, consolidationError: () => checkpoints.consolidationError,
        checkpointWrites: () => checkpoints.status(), compressorReference: () => reference.current() }),
      ...(taskEval ? { tasks: taskEval.status() } : {}),
    }),
    start() {
      finished = (async () => {
        if (!journal.validated && settings.evalEvery > 0) await validate();
        await loop.run();
        await background.idle();
      })().catch((e) => {
        logger.error({ err: e }, 'round loop failed');
        throw e;
      });
    },
    async stop() {
      stopSweep();
      checkpoints.stop();
      loop.stop();
      await finished.catch(() => {});
    },
    releaseRunDir: () => opened.lock.release(),
    pause: () => loop.pause(),
    resume: () => loop.resume(),
    checkpoint: (reason) => checkpoints.save(reason),
    async consolidate() {
      return checkpoints.consolidate(await checkpoints.save('consolidate'));
    },
    async sample(prompt, maxBytes) {
      const round = state.round;
      // A model of its own: validation, interleaved with a sample, sets the evaluation model's weights too.
      sampleModel ??= StlmModel.create(config, settings.seed);
      sampleModel.setWeights(state.weights);
      const out = await generateAsync(sampleModel, prompt, { maxBytes, temperature: 0.8, topK: 40, seed: round });
      return { text: bytesToText(out), round };
    },
  };
}
