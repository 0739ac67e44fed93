// Leases on checkpoint directories, for whoever reads or writes a checkpoint beside the store's saves (a
// background consolidation). While a directory is leased the store neither prunes nor replaces it; what that
// means for a save is in checkpoints/store.ts. Leases are counted per directory, so several holders may share one.
import path from 'node:path';

export interface CheckpointLease {
  /** The leased checkpoint directory, as given. */
  readonly path: string;
  /** Ends the lease; a second call does nothing. Resolves once what waited for the directory to be free has
   * been started and the store's deferred pruning is done. Never rejects. */
  release(): Promise<void>;
}

export class CheckpointLeases {
  private readonly counts = new Map<string, number>();
  private readonly waiters = new Map<string, Array<() => void>>();
  private readonly live = new Set<CheckpointLease>();

  /** @param onFree called (and awaited by release) each time a directory's last lease ends; must not reject. */
  constructor(private readonly onFree: () => Promise<void>) {}

  take(dir: string): CheckpointLease {
    const key = path.resolve(dir);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    const lease: CheckpointLease = {
      path: dir,
      release: async () => {
        if (!this.live.delete(lease)) return;
        await this.drop(key);
      },
    };
    this.live.add(lease);
    return lease;
  }

  isHeld(dir: string): boolean {
    return this.counts.has(path.resolve(dir));
  }

  /** Resolves when no lease on `dir` is held: at once if none is. */
  free(dir: string): Promise<void> {
    const key = path.resolve(dir);
    if (!this.counts.has(key)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.set(key, [...(this.waiters.get(key) ?? []), resolve]));
  }

  /** Throws unless `lease` was taken here and is not released: writes into a checkpoint need a live lease. */
  check(lease: CheckpointLease): void {
    if (!this.live.has(lease)) throw new Error(`checkpoint lease on ${lease.path}: released, or not taken from this store`);
  }

  private async drop(key: string): Promise<void> {
    const n = this.counts.get(key)! - 1;
    if (n > 0) {
      this.counts.set(key, n);
      return;
    }
    this.counts.delete(key);
    const waiting = this.waiters.get(key) ?? [];
    this.waiters.delete(key);
    for (const resolve of waiting) resolve();
    await this.onFree();
  }
}
