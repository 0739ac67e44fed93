// Opens a run: from fresh settings, or from the latest checkpoint of its run directory (`--resume`), whose
// settings, weights, optimizer state, data cursor, pruning masks and history it continues. A checkpoint that
// loads but cannot be restored (its settings, pruning state or data cursor refused) is logged with the reason
// and the one before it is tried, as for a checkpoint whose files fail their checks.
//
// The run directory is locked first (checkpoints/run-lock.ts): a second coordinator on it stops here with a
// clear error. A run directory that cannot be written does not stop the run: it is logged, shown in
// /api/status (runDirError) and checkpoints are retried (run/checkpointing.ts).
import type { Logger } from 'pino';
import { resolveConfig, type StlmConfig } from '../../model/config.ts';
import { setupBackend } from '../../model/backend.ts';
import { decayMaskFromManifest } from '../../model/params.ts';
import { StlmModel } from '../../model/stlm.ts';
import { parsePruneSchedule } from '../../model/compress/schedule.ts';
import { loadCorpus } from '../../data/corpus.ts';
import { Dataset } from '../../data/dataset.ts';
import { splitCorpus } from '../../data/split.ts';
import { CheckpointStore, type LoadedCheckpoint } from '../checkpoints/store.ts';
import { saveRunTokens } from '../checkpoints/run-tokens.ts';
import { RunDirLock, RunDirLockedError } from '../checkpoints/run-lock.ts';
import { CheckpointConsolidator, parseConsolidatorState } from '../consolidation/consolidator.ts';
import type { CoordinatorSettings } from '../settings/settings.ts';
import { RunJournal } from '../journal/journal.ts';
import { resumedSettings } from '../settings/resumed.ts';
import { MasterState } from '../optimizer/master-state.ts';

export interface OpenedRun {
  settings: CoordinatorSettings;
  config: StlmConfig;
  runId: string;
  store: CheckpointStore;
  dataset: Dataset;
  /** A model for validation, sampling and the manifest (never trained: the master weights are `state`'s). */
  evalModel: StlmModel;
  state: MasterState;
  consolidator: CheckpointConsolidator;
  journal: RunJournal;
  /** Held while the run goes on (taken again before a checkpoint if the run dir was not writable at start). */
  lock: RunDirLock;
  /** Why the run directory could not be written at start, or null. */
  runDirError: string | null;
  /** The corpus before the held-out cut (the compressor reference's context). */
  trainText: Uint8Array;
}

type RunParts = Omit<OpenedRun, 'store' | 'lock' | 'runDirError'>;

export async function openRun(given: CoordinatorSettings, logger: Logger): Promise<OpenedRun> {
  const store = new CheckpointStore(given.runDir, { keep: given.keepCheckpoints, warn: (m) => logger.warn(m) });
  const lock = new RunDirLock(given.runDir, (m) => logger.warn({ runDir: given.runDir }, m));
  const runDirError = await lockRunDir(lock, logger);
  try {
    if (!given.resume) return { ...(await openParts(given, null, logger)), store, lock, runDirError };
    for await (const ck of store.newestFirst()) {
      try {
        return { ...(await openParts(given, ck, logger)), store, lock, runDirError };
      } catch (e) {
        logger.warn({ path: ck.path, err: (e as Error).message }, 'checkpoint not restored: falling back to the one before');
      }
    }
    throw new Error(`--resume: no usable checkpoint in ${given.runDir}`);
  } catch (e) {
    await lock.release();
    throw e;
  }
}

/** Takes the run dir's lock: throws if another coordinator holds it; returns why the dir cannot be written, or null. */
async function lockRunDir(lock: RunDirLock, logger: Logger): Promise<string | null> {
  try {
    await lock.acquire();
    return null;
  } catch (e) {
    if (e instanceof RunDirLockedError) throw e;
    const why = `run directory not writable at start: ${(e as Error).message}`;
    logger.error({ runDir: lock.runDir, err: (e as Error).message }, 'cannot write to the run directory: training goes on, checkpoints will be retried');
    return why;
  }
}

/** Everything but the store and lock, fresh or from `ck`; throws if `ck` cannot be restored. */
async function openParts(given: CoordinatorSettings, ck: LoadedCheckpoint | null, logger: Logger): Promise<RunParts> {
  const settings = ck ? resumedSettings(given, ck.settings, Boolean(ck.pruning)) : given;
  const pruning = ck?.pruning === undefined ? undefined : parseConsolidatorState(ck.pruning);
  await saveRunTokens(settings.runDir, { token: settings.token, adminToken: settings.adminToken }).catch((e: Error) =>
    logger.error({ runDir: settings.runDir, err: e.message }, 'cannot save the run\'s tokens: --resume will need --token'),
  );
  const config = ck ? ck.config : resolveConfig(settings.preset);
  await setupBackend(settings.backend ?? 'wasm');
  const corpus = await loadCorpus(settings.data);
  const dataset = Dataset.fromCorpus(corpus.bytes, config, { seed: settings.seed, validationFraction: settings.validationFraction });
  const evalModel = StlmModel.create(config, settings.seed);
  try {
    const state = new MasterState({
      weights: evalModel.getWeights(),
      localSteps: settings.localSteps,
      aggregator: settings.aggregator,
      trimFraction: settings.trimFraction,
      schedule: settings.schedule,
      // No weight decay on norm gains, exactly as LocalTrainer (the single-process reference) does.
      adamw: { ...settings.adamw, decayMask: decayMaskFromManifest(evalModel.manifest) },
      outer: settings.outer,
    });
    const policy = settings.consolidation;
    const consolidator = new CheckpointConsolidator({
      sparsity: policy.sparsity,
      quant: policy.quant,
      scope: policy.scope,
      pruneEmbedding: policy.pruneEmbedding,
      schedule: parsePruneSchedule(policy.schedule),
    });
    const journal = new RunJournal(ck?.history);
    if (ck) {
      // A dense checkpoint may start a gradual schedule; masks saved by one continue it. Each import checks
      // before it changes anything, and a refused one drops these parts altogether.
      if (pruning) consolidator.importState(evalModel.manifest, pruning);
      dataset.importCursor(ck.dataCursor);
      state.restore(ck.state);
      logger.info({ round: state.round, version: state.version, path: ck.path }, 'resumed from checkpoint');
    }
    const trainText = splitCorpus(corpus.bytes, settings.validationFraction).train;
    return { settings, config, runId: ck ? ck.runId : settings.runId, dataset, evalModel, state, consolidator, journal, trainText };
  } catch (e) {
    evalModel.dispose();
    throw e;
  }
}
