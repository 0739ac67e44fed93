// Writing a run's checkpoints and consolidating them: each save goes into the store, the journal and the
// metrics; each consolidation (prune + quantize, scored against the dense model at that round) attaches its
// figures to its checkpoint's record and to the metrics, or keeps its error for /api/status.
import type { Logger } from 'pino';
import type { ParamManifest } from '../../model/params.ts';
import type { CheckpointState, CheckpointStore } from '../checkpoints/store.ts';
import type { CheckpointConsolidator } from '../consolidation/consolidator.ts';
import { summary } from '../consolidation/consolidate-checkpoint.ts';
import type { RunJournal } from '../journal/journal.ts';
import type { CoordinatorSettings } from '../settings/settings.ts';
import type { createMetrics } from '../journal/metrics.ts';

export interface RunCheckpointsOptions {
  store: CheckpointStore;
  journal: RunJournal;
  consolidator: CheckpointConsolidator;
  metrics: ReturnType<typeof createMetrics>;
  logger: Logger;
  /** Everything a checkpoint holds but the journal's history and the pruning masks, as of now. */
  snapshot(): Omit<CheckpointState, 'history' | 'pruning'>;
  /** The validation examples a consolidation scores the dense and the consolidated model on. */
  validationExamples(): Uint8Array[];
  manifest: ParamManifest;
}

/**
 * The settings a checkpoint keeps: everything but secrets. The tokens live in the run dir's owner-only
 * tokens file; ICE servers (TURN credentials) come from the flags of each start and are never saved.
 */
export function savedSettings(settings: CoordinatorSettings): Record<string, unknown> {
  return { ...settings, token: undefined, adminToken: undefined, iceServers: undefined };
}

export class RunCheckpoints {
  /** The latest consolidation's failure (null after a success). */
  consolidationError: string | null = null;

  constructor(private readonly o: RunCheckpointsOptions) {}

  async save(reason: string): Promise<string> {
    const { store, journal, consolidator, metrics, logger } = this.o;
    const s = this.o.snapshot();
    const path = await store.save({
      ...s,
      history: journal.saved(),
      pruning: consolidator.gradual ? consolidator.exportState() : undefined,
    });
    journal.recordCheckpoint(s.state.round, path);
    metrics.checkpointsTotal.inc();
    logger.info({ round: s.state.round, path, reason }, 'checkpoint written');
    return path;
  }

  async consolidate(path: string): Promise<Record<string, unknown>> {
    const { store, journal, consolidator, metrics, logger } = this.o;
    try {
      const report = summary(await consolidator.consolidate(store, path, this.o.validationExamples()));
      this.consolidationError = null;
      journal.recordConsolidation(path, report as unknown as Record<string, unknown>);
      metrics.consolidatedSizeRatio.set(report.sizeRatio);
      metrics.consolidatedBpbDelta.set(report.bpbDelta);
      logger.info(
        { path, sparsity: report.sparsity, sizeRatio: report.sizeRatio, bpbDense: report.bpbDense, bpbConsolidated: report.bpbConsolidated },
        'checkpoint consolidated',
      );
      return report as unknown as Record<string, unknown>;
    } catch (e) {
      this.consolidationError = (e as Error).message;
      throw e;
    }
  }
}
