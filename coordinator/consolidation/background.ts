// Periodic consolidation runs beside the rounds (it reads the checkpoint from disk and yields between
// validation batches), so training does not stop for it (about 10 s for the small preset). One at a time; if
// checkpoints come faster, the newest waiting one is consolidated next and older waiting ones are skipped.
// Each offered checkpoint is leased from the store until it is consolidated or skipped, so it is neither
// pruned nor replaced while it waits for its turn.
import type { Logger } from 'pino';
import type { CheckpointLease } from '../checkpoints/store.ts';

interface Offered {
  path: string;
  lease: CheckpointLease;
}

export class BackgroundConsolidation {
  private running: Promise<void> | null = null;
  private waiting: Offered | null = null;

  constructor(
    private readonly consolidate: (checkpointPath: string) => Promise<unknown>,
    private readonly logger: Logger,
    private readonly lease: (checkpointPath: string) => CheckpointLease,
  ) {}

  /** Queues the checkpoint in `path`, replacing one still waiting. */
  offer(path: string): void {
    const offered = { path, lease: this.lease(path) };
    if (this.waiting) {
      this.logger.info({ path: this.waiting.path }, 'checkpoint not consolidated: a newer one came first');
      void this.waiting.lease.release();
    }
    this.waiting = offered;
    if (this.running) return;
    this.running = this.drain().finally(() => (this.running = null));
  }

  /** Resolves when nothing is being or waiting to be consolidated. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    while (this.waiting) {
      const next = this.waiting;
      this.waiting = null;
      // A failed consolidation is reported and the run goes on: the dense checkpoint is already safe.
      await this.consolidate(next.path).catch((e: Error) => this.logger.error({ path: next.path, err: e.message }, 'consolidation failed'));
      await next.lease.release();
    }
  }
}
