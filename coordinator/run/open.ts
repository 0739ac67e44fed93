// Opens a run: from fresh settings, or from the latest checkpoint of its run directory (`--resume`), whose
// settings, weights, optimizer state, data cursor, pruning masks and history it continues.
import type { Logger } from 'pino';
import { resolveConfig, type StlmConfig } from '../../model/config.ts';
import { setupBackend } from '../../model/backend.ts';
import { decayMaskFromManifest } from '../../model/params.ts';
import { StlmModel } from '../../model/stlm.ts';
import { parsePruneSchedule } from '../../model/compress/schedule.ts';
import { loadCorpus } from '../../data/corpus.ts';
import { Dataset } from '../../data/dataset.ts';
import { splitCorpus } from '../../data/split.ts';
import { CheckpointStore } from '../checkpoints/store.ts';
import { saveRunTokens } from '../checkpoints/run-tokens.ts';
import { CheckpointConsolidator, type ConsolidatorState } from '../consolidation/consolidator.ts';
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
  /** The corpus before the held-out cut (the compressor reference's context). */
  trainText: Uint8Array;
}

export async function openRun(given: CoordinatorSettings, logger: Logger): Promise<OpenedRun> {
  const store = new CheckpointStore(given.runDir, { keep: given.keepCheckpoints, warn: (m) => logger.warn(m) });
  const ck = given.resume ? await store.latest() : null;
  if (given.resume && !ck) throw new Error(`--resume: no usable checkpoint in ${given.runDir}`);
  const settings = ck ? resumedSettings(given, ck.settings, Boolean(ck.pruning)) : given;
  // Saved first: it also shows at once whether the run dir can be written (checkpoints would fail later).
  await saveRunTokens(settings.runDir, { token: settings.token, adminToken: settings.adminToken }).catch((e: Error) =>
    logger.error({ runDir: settings.runDir, err: e.message }, 'cannot write to the run directory: checkpoints will fail and --resume will need --token'),
  );
  const config = ck ? ck.config : resolveConfig(settings.preset);
  await setupBackend(settings.backend ?? 'wasm');
  const corpus = await loadCorpus(settings.data);
  const dataset = Dataset.fromCorpus(corpus.bytes, config, { seed: settings.seed, validationFraction: settings.validationFraction });
  const evalModel = StlmModel.create(config, settings.seed);
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
    // A dense checkpoint may start a gradual schedule; masks saved by one continue it.
    if (ck.pruning) consolidator.importState(evalModel.manifest, ck.pruning as ConsolidatorState);
    state.restore(ck.state);
    dataset.importCursor(ck.dataCursor);
    logger.info({ round: state.round, version: state.version, path: ck.path }, 'resumed from checkpoint');
  }
  const trainText = splitCorpus(corpus.bytes, settings.validationFraction).train;
  return { settings, config, runId: ck ? ck.runId : settings.runId, store, dataset, evalModel, state, consolidator, journal, trainText };
}
