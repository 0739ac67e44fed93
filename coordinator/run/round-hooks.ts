// The run's round loop, with what runs after each round (records, metrics, validation, checkpoints and their
// background consolidation) and after each optimizer step (gradual pruning's masks).
import type { Logger } from 'pino';
import type { Message } from '../../protocol/messages.ts';
import type { RoundRecord } from '../../protocol/status.ts';
import type { BackgroundConsolidation } from '../consolidation/background.ts';
import { DeadlineEstimator } from '../rounds/deadline.ts';
import type { createMetrics } from '../journal/metrics.ts';
import type { PeerRegistry } from '../peers/registry.ts';
import type { OpenedRun } from './open.ts';
import type { RunCheckpoints } from './checkpointing.ts';
import { RoundLoop } from '../rounds/round-loop.ts';
import type { RoundDetail } from '../rounds/detail.ts';

/** A peer whose results keep failing screening is dropped after this many in a row. */
export const MAX_REJECTIONS_IN_A_ROW = 3;

/** Whether periodic checkpoints go to the background job: to be consolidated, or scored on --eval-tasks. */
export function checkpointsGoToBackground(settings: OpenedRun['settings']): boolean {
  return settings.consolidation.atCheckpoints || (settings.evalTasks?.length ?? 0) > 0;
}

interface RoundLoopParts {
  opened: OpenedRun;
  registry: PeerRegistry<Message>;
  logger: Logger;
  metrics: ReturnType<typeof createMetrics>;
  checkpoints: RunCheckpoints;
  background: BackgroundConsolidation;
  validate(): Promise<void>;
  onRound?: (record: RoundRecord, detail: RoundDetail) => void;
}

export function roundLoop(p: RoundLoopParts): RoundLoop {
  const { settings, state, dataset, journal, consolidator, evalModel } = p.opened;
  const { registry, logger, metrics } = p;
  const everyN = (n: number, round: number) => n > 0 && round % n === 0;
  return new RoundLoop({
    state, registry, dataset, logger,
    deadline: new DeadlineEstimator(settings.deadline),
    batchSize: settings.batchSize,
    codec: settings.codec,
    localSteps: settings.localSteps,
    minPeers: settings.minPeers,
    maxRejectionsInARow: MAX_REJECTIONS_IN_A_ROW,
    maxRounds: settings.maxRounds > 0 ? settings.maxRounds : Number.POSITIVE_INFINITY,
    afterRound: async (record, detail) => {
      journal.recordRound(record, detail);
      metrics.observeRound(record, detail);
      metrics.setPeers(countByKind(registry));
      p.onRound?.(record, detail);
      if (everyN(settings.evalEvery, state.round)) await p.validate();
      if (everyN(settings.checkpointEvery, state.round)) {
        // A failed write is logged, shown and retried by RunCheckpoints; the rounds go on. The background job
        // consolidates the checkpoint and scores the --eval-tasks on it.
        const path = await p.checkpoints.periodic();
        if (path && checkpointsGoToBackground(settings)) p.background.offer(path);
      }
    },
    // Gradual pruning: the schedule steps up where a periodic checkpoint is about to be written (this round's
    // afterRound writes it), and between those the masks hold the pruned master weights at exactly 0. Both
    // happen before the new weights go out, so peers and master stay identical.
    afterStep: () => {
      if (everyN(settings.checkpointEvery, state.round + 1)) consolidator.beforeCheckpoint(state.weights, evalModel.manifest);
      else consolidator.afterOptimizerStep(state.weights);
    },
  });
}

function countByKind(registry: PeerRegistry<Message>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of registry.all()) out[p.kind] = (out[p.kind] ?? 0) + 1;
  return out;
}
