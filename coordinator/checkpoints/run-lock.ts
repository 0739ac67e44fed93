// One coordinator per run directory. Two sharing one would interleave their checkpoints and prune each
// other's, so the running one holds `coordinator.lock` (layout.ts): its pid, host and start time, created
// with O_EXCL. A second coordinator gets a clear error naming the holder. A lock left by a coordinator that
// died (kill -9, power cut) is taken over with a log line: its pid is no longer alive on this host. A lock
// from another host (a run dir on a network file system) cannot be judged and is never taken over.
//
// A run dir that cannot be written at start (read-only, full) is no reason to stop training: acquire() throws
// a plain file-system error then, the caller logs it and goes on, and ensure() tries again before each save.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { nodeFs, tempName, writeFileDurable, type WriteFs } from './atomic-file.ts';
import { LOCK_FILE } from './layout.ts';

const ownerSchema = z.object({ pid: z.number().int().positive(), host: z.string(), startedAt: z.string() });
export type LockOwner = z.infer<typeof ownerSchema>;

/** Thrown when another coordinator, alive or on another host, holds the run directory. */
export class RunDirLockedError extends Error {
  readonly code = 'ERR_RUN_DIR_LOCKED';
}

export class RunDirLock {
  private heldSince: string | null = null;

  constructor(
    readonly runDir: string,
    private readonly log: (message: string) => void,
    private readonly fs: WriteFs = nodeFs,
  ) {}

  get file(): string {
    return path.join(this.runDir, LOCK_FILE);
  }

  get held(): boolean {
    return this.heldSince !== null;
  }

  /** Takes the lock; RunDirLockedError if another live coordinator holds it, a file-system error if the
   * directory cannot be written. */
  async acquire(): Promise<void> {
    await this.fs.mkdir(this.runDir, { recursive: true });
    const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
    // Twice at most: once, and once more after moving a dead coordinator's lock aside.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFileDurable(this.file, JSON.stringify(me), 0o644, { ...this.fs, open: (f, _flags, mode) => this.fs.open(f, 'wx', mode) });
        this.heldSince = me.startedAt;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      await this.takeOverIfStale();
    }
    throw new RunDirLockedError(`${this.file}: another coordinator took the run directory at the same moment`);
  }

  /** Takes the lock unless it is held already (before each checkpoint: the run dir may not have been writable at start). */
  async ensure(): Promise<void> {
    if (!this.held) await this.acquire();
  }

  /** Removes the lock file if this process holds it. */
  async release(): Promise<void> {
    if (!this.held) return;
    this.heldSince = null;
    const owner = await this.readOwner();
    if (owner?.pid === process.pid && owner.host === hostname()) await this.fs.rm(this.file, { force: true }).catch(() => {});
  }

  private async takeOverIfStale(): Promise<void> {
    const owner = await this.readOwner();
    if (owner && liveOrUnknowable(owner)) {
      throw new RunDirLockedError(
        `run directory ${this.runDir} is in use by the coordinator with pid ${owner.pid} on ${owner.host} (since ${owner.startedAt}); ` +
          `stop that one first, or, if it is gone, delete ${this.file}`,
      );
    }
    // Moved aside rather than deleted: if another coordinator took it over meanwhile, what was moved is its
    // live lock, and it is put back.
    const aside = path.join(this.runDir, tempName('lock'));
    try {
      await this.fs.rename(this.file, aside);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const moved = await readOwnerFile(aside);
    if (moved && owner && moved.startedAt !== owner.startedAt) {
      await this.fs.rename(aside, this.file);
      throw new RunDirLockedError(`${this.file}: another coordinator took the run directory at the same moment`);
    }
    await this.fs.rm(aside, { force: true });
    this.log(
      owner
        ? `taking over the lock of a coordinator that is gone (pid ${owner.pid} on ${owner.host}, since ${owner.startedAt})`
        : `taking over an unreadable lock file (a coordinator killed while it wrote it)`,
    );
  }

  private readOwner(): Promise<LockOwner | null> {
    return readOwnerFile(this.file);
  }
}

/** The lock's owner, or null when the file is missing or is not a lock (half written). */
async function readOwnerFile(file: string): Promise<LockOwner | null> {
  try {
    const parsed = ownerSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Alive on this host, or on another host (which this process cannot check). */
function liveOrUnknowable(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive, another user's.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
