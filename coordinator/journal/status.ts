// GET /api/status of a run (the contract in protocol/status.ts), assembled from the parts that hold it.
import type { StlmConfig } from '../../model/config.ts';
import type { Dataset } from '../../data/dataset.ts';
import { STATUS_VERSION, type CheckpointWriteStatus, type CompressorReference, type CoordinatorStatus } from '../../protocol/status.ts';
import type { CheckpointConsolidator } from '../consolidation/consolidator.ts';
import type { CoordinatorSettings } from '../settings/settings.ts';
import type { RunJournal } from './journal.ts';
import type { PeerRegistry } from '../peers/registry.ts';
import type { RoundLoop } from '../rounds/round-loop.ts';
import type { MasterState } from '../optimizer/master-state.ts';
import type { Message } from '../../protocol/messages.ts';

export interface RunStatusParts {
  runId: string;
  startedAt: string;
  settings: CoordinatorSettings;
  config: StlmConfig;
  state: MasterState;
  loop: RoundLoop;
  registry: PeerRegistry<Message>;
  dataset: Dataset;
  journal: RunJournal;
  consolidator: CheckpointConsolidator;
  consolidationError(): string | null;
  checkpointWrites?(): CheckpointWriteStatus;
  /** The validation chart's gzip/brotli reference lines, once computed. */
  compressorReference?(): CompressorReference | null;
}

export function runStatus(p: RunStatusParts): CoordinatorStatus {
  const { settings, state, consolidator } = p;
  const policy = settings.consolidation;
  return {
    statusVersion: STATUS_VERSION,
    runId: p.runId,
    round: state.round,
    modelVersion: state.version,
    preset: settings.preset,
    config: { ...p.config },
    numParams: state.numParams,
    mode: state.mode,
    localSteps: settings.localSteps,
    codec: settings.codec,
    aggregator: settings.aggregator,
    waitingForPeers: p.loop.waitingForPeers,
    paused: p.loop.paused,
    peers: p.registry.summaries(),
    ...p.journal.status(),
    ...(p.checkpointWrites ? { checkpointWrites: p.checkpointWrites() } : {}),
    bytesProcessed: state.bytesProcessed,
    data: p.dataset.stats(),
    consolidation: {
      atCheckpoints: policy.atCheckpoints,
      sparsity: policy.sparsity,
      currentSparsity: consolidator.currentSparsity,
      quant: policy.quant,
      scope: policy.scope,
      schedule: policy.schedule,
      last: (consolidator.last as unknown as Record<string, unknown>) ?? null,
      lastError: p.consolidationError(),
    },
    startedAt: p.startedAt,
    evalEvery: settings.evalEvery,
    checkpointEvery: settings.checkpointEvery,
    compressorReference: p.compressorReference?.() ?? null,
  };
}
