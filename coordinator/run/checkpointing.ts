// Writing a run's checkpoints and consolidating them: each save goes into the store, the journal and the
// metrics; each consolidation (prune + quantize, scored against the dense model at that round) attaches its
// figures to its checkpoint's record and to the metrics, or keeps its error for /api/status.
//
// A failed write (disk full, run dir read-only or gone, another coordinator's lock) never ends the run: it is
// logged, counted (/metrics), shown in /api/status (checkpointWrites) and tried again with backoff, each time
// with the state of that moment, until one lands; the rounds go on meanwhile.
import type { Logger } from 'pino';
import type { CheckpointWriteStatus } from '../../protocol/status.ts';
import type { RunDirLock } from '../checkpoints/run-lock.ts';
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
  /** Taken again before each save if it is not held (the run dir was not writable at start). */
  lock?: RunDirLock;
  /** Why the run dir could not be written at start: shown as the first failure until a write lands. */
  runDirError?: string | null;
  /** Called with each checkpoint a retry wrote (to consolidate it as a periodic one would be). */
  afterRetry?: (path: string) => void;
  /** Backoff between tries: the first after minMs, doubling up to maxMs. Default 1 s to 60 s. */
  retry?: { minMs: number; maxMs: number };
}

const RETRY_DEFAULT = { minMs: 1_000, maxMs: 60_000 };

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
  private readonly writes: CheckpointWriteStatus;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly o: RunCheckpointsOptions) {
    const at = o.runDirError ? new Date().toISOString() : null;
    this.writes = { failuresInARow: 0, lastError: o.runDirError ?? null, lastErrorAt: at, nextRetryAt: null, lastWrittenAt: null };
  }

  /** Writes a checkpoint now; a failure is recorded, retried later and thrown. */
  async save(reason: string): Promise<string> {
    const { store, journal, consolidator, metrics, logger } = this.o;
    const s = this.o.snapshot();
    let path: string;
    try {
      await this.o.lock?.ensure();
      path = await store.save({
        ...s,
        history: journal.saved(),
        pruning: consolidator.gradual ? consolidator.exportState() : undefined,
      });
    } catch (e) {
      this.failed(e as Error, s.state.round, reason);
      throw e;
    }
    this.landed();
    journal.recordCheckpoint(s.state.round, path);
    metrics.checkpointsTotal.inc();
    logger.info({ round: s.state.round, path, reason }, 'checkpoint written');
    return path;
  }

  /** A periodic save: its path, or null if it failed (recorded and retried: the run goes on). */
  periodic(): Promise<string | null> {
    return this.save('periodic').catch(() => null);
  }

  /** What /api/status shows of the writes. */
  status(): CheckpointWriteStatus {
    return { ...this.writes };
  }

  /** No more retries (the run is stopping; a save asked for after this is still written). */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.writes.nextRetryAt = null;
  }

  private failed(e: Error, round: number, reason: string): void {
    const w = this.writes;
    w.failuresInARow++;
    w.lastError = e.message;
    w.lastErrorAt = new Date().toISOString();
    this.o.metrics.checkpointFailuresTotal.inc();
    this.o.metrics.checkpointFailuresInARow.set(w.failuresInARow);
    const { minMs, maxMs } = this.o.retry ?? RETRY_DEFAULT;
    const delayMs = Math.min(maxMs, minMs * 2 ** Math.min(w.failuresInARow - 1, 30));
    if (!this.stopped) this.scheduleRetry(delayMs);
    this.o.logger.error(
      { round, reason, err: e.message, code: (e as NodeJS.ErrnoException).code, failuresInARow: w.failuresInARow, retryInMs: this.stopped ? null : delayMs },
      'checkpoint write failed: training goes on, the write will be retried',
    );
  }

  private landed(): void {
    const w = this.writes;
    if (w.failuresInARow > 0) this.o.logger.info({ failuresBefore: w.failuresInARow }, 'checkpoint writes land again');
    w.failuresInARow = 0;
    w.lastWrittenAt = new Date().toISOString();
    w.nextRetryAt = null;
    this.o.metrics.checkpointFailuresInARow.set(0);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private scheduleRetry(delayMs: number): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.writes.nextRetryAt = new Date(Date.now() + delayMs).toISOString();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.save('retry').then((path) => this.o.afterRetry?.(path), () => {});
    }, delayMs);
    // A pending retry does not keep a finished process alive.
    this.retryTimer.unref();
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
