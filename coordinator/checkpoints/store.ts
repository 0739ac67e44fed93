// The checkpoint store: the one place that reads and writes a run directory (layout: checkpoints/layout.ts;
// what each file holds: checkpoints/files.ts). Everything else asks it: the running coordinator saves, loads
// and consolidates through its store; `--resume` finds a run with isRunDir; the CLI resolves what the user
// points at with resolveCheckpointDir / resolveModelFile.
//
// Writing is kill-safe (checkpoints/atomic-file.ts): a save goes into a temp directory, each file fsynced, the directory
// is renamed into place (atomic on one file system), then the `latest` pointer file is replaced the same way.
// A reader ignores temp directories, and `latest()` loads the newest directory that passes every check, so a
// torn or corrupt newest checkpoint costs only the rounds since the one before it. Files rewritten inside a
// checkpoint (the consolidation's) are replaced atomically too.
//
// A round saved again (periodic, then on SIGTERM or for an admin's consolidation) goes to a new name,
// ckpt-<round>.<n> (layout.ts), in that one rename; the older directory of the round is pruned after it. A kill
// at any point leaves the old checkpoint, or the new one, or both (the newer wins): never neither, which
// moving the old one aside and renaming the new one in (two renames) could.
//
// Two queues. Saves run one at a time, in call order, so the last save of a round wins and `latest` names the
// last one written. Every file operation (a save's writing, its swap into place, the writes into a leased
// checkpoint, pruning after a release) runs one at a time on a second queue, which a waiting save does not hold.
//
// Leases (checkpoints/lease.ts): whoever reads a checkpoint beside the saves holds a lease on it. Pruning skips
// a leased directory; once its last lease ends it is pruned if it is no longer among the newest `keep`. A save
// of the same round, which would replace a leased directory, writes its temp directory and then waits for the
// release before swapping it in; saves after it wait behind it. The file queue stays free meanwhile, so the
// lease holder's own writes (writeConsolidated, recordConsolidation) never wait for that save. Leases live in
// this process: a `stlm consolidate` beside a running coordinator is not seen by it.
import path from 'node:path';
import { TMP_PREFIX, nodeFs, syncDir, tempName, writeFileAtomic, writeFileDurable, type WriteFs } from './atomic-file.ts';
import {
  encodeCheckpoint, loadCheckpoint, readDenseCheckpoint, stateWithConsolidation,
  type CheckpointState, type DenseCheckpoint, type LoadedCheckpoint,
} from './files.ts';
import {
  CONSOLIDATED_FILE, LATEST_POINTER, REPORT_FILE, STATE_FILE,
  byAge, checkpointName, isRunDir, resolveCheckpointDir, resolveModelFile, storedName,
} from './layout.ts';
import { CheckpointLeases, type CheckpointLease } from './lease.ts';

export type { CheckpointHistory, CheckpointState, DenseCheckpoint, LoadedCheckpoint } from './files.ts';
export type { CheckpointLease } from './lease.ts';

export interface CheckpointEntry {
  name: string;
  path: string;
  round: number;
  /** 0 for a round's first save, then 1, 2, ... for each save of the same round after it. */
  generation: number;
}

export interface CheckpointStoreOptions {
  /** Checkpoints kept after each save (default 3). */
  keep?: number;
  /** Where warnings about skipped checkpoints go (default console.warn). */
  warn?: (message: string) => void;
  /** The file system writes go through (default node:fs/promises; tests pass a failing one). */
  fs?: WriteFs;
}

/** A save's temp directory, fully written, and the round it holds. */
interface Staged {
  tmp: string;
  round: number;
}

export class CheckpointStore {
  /** Whether a directory holds an entry named like a checkpoint (what `--resume` without --run-dir looks for). */
  static readonly isRunDir = isRunDir;
  /** A checkpoint directory, or a run directory's newest complete checkpoint. */
  static readonly resolveCheckpointDir = resolveCheckpointDir;
  /** A model file itself, or the dense weights of the checkpoint a directory resolves to. */
  static readonly resolveModelFile = resolveModelFile;

  /** A store over the run directory holding `checkpointDir`, to consolidate it outside a running coordinator
   * (where no other store of this process saves into that directory). */
  static of(checkpointDir: string): CheckpointStore {
    return new CheckpointStore(path.dirname(path.resolve(checkpointDir)));
  }

  readonly runDir: string;
  readonly keep: number;
  private readonly warn: (message: string) => void;
  private readonly fs: WriteFs;
  private readonly saves = serial();
  private readonly files = serial();
  private readonly leases = new CheckpointLeases(() => this.pruneIfOwed());
  /** A prune skipped a leased directory; the next release prunes again. */
  private pruneOwed = false;

  constructor(runDir: string, opts: CheckpointStoreOptions = {}) {
    if (typeof runDir !== 'string' || runDir.length === 0) throw new Error('CheckpointStore: runDir must be a non-empty path');
    const keep = opts.keep ?? 3;
    if (!Number.isInteger(keep) || keep < 1) throw new Error(`CheckpointStore: keep must be a positive integer, got ${keep}`);
    this.runDir = runDir;
    this.keep = keep;
    this.warn = opts.warn ?? ((m) => console.warn(m));
    this.fs = opts.fs ?? nodeFs;
  }

  /** Writes a checkpoint atomically; returns its directory. Saving the same round twice replaces it, once no
   * lease holds it. */
  save(s: CheckpointState): Promise<string> {
    return this.saves(() => this.saveNow(s));
  }

  /** Checkpoint directories (complete or not), oldest first (by round, then generation). Temp directories are not listed. */
  async list(): Promise<CheckpointEntry[]> {
    let names: string[];
    try {
      names = await this.fs.readdir(this.runDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const entries: CheckpointEntry[] = [];
    for (const name of names) {
      const at = storedName(name);
      if (at !== null) entries.push({ name, path: path.join(this.runDir, name), ...at });
    }
    return entries.sort(byAge);
  }

  /** The newest checkpoint that loads and passes every check; null if there is none. Skipped ones are warned about. */
  async latest(): Promise<LoadedCheckpoint | null> {
    for await (const ck of this.newestFirst()) return ck;
    return null;
  }

  /** Every checkpoint that loads and passes every check, newest first, each read when asked for (a resume
   * whose restore fails with one goes on to the one before). Skipped ones are warned about. */
  async *newestFirst(): AsyncGenerator<LoadedCheckpoint> {
    const entries = await this.list();
    for (let i = entries.length - 1; i >= 0; i--) {
      let ck: LoadedCheckpoint;
      try {
        ck = await this.load(entries[i]!.path);
      } catch (e) {
        this.warn(`checkpoint ${entries[i]!.path} skipped: ${(e as Error).message}`);
        continue;
      }
      yield ck;
    }
  }

  /** Loads and checks one checkpoint directory; throws a clear error for anything missing or corrupt. */
  load(dir: string): Promise<LoadedCheckpoint> {
    return loadCheckpoint(dir);
  }

  /** Holds the checkpoint in `dir` against pruning and replacement until released (module comment). */
  lease(dir: string): CheckpointLease {
    return this.leases.take(dir);
  }

  /** Runs `fn` under a lease on `dir`, released however `fn` ends. */
  async withLease<T>(dir: string, fn: (lease: CheckpointLease) => Promise<T>): Promise<T> {
    const lease = this.lease(dir);
    try {
      return await fn(lease);
    } finally {
      await lease.release();
    }
  }

  /** A leased checkpoint's dense weights and what consolidation needs of its state (checkpoints/files.ts). */
  async readDense(lease: CheckpointLease): Promise<DenseCheckpoint> {
    this.leases.check(lease);
    return readDenseCheckpoint(lease.path);
  }

  /** Writes the consolidated model into a leased checkpoint (atomic, fsynced); returns the file's path. */
  async writeConsolidated(lease: CheckpointLease, bytes: Uint8Array): Promise<string> {
    this.leases.check(lease);
    const file = path.join(lease.path, CONSOLIDATED_FILE);
    return this.files(async () => {
      await writeFileAtomic(file, bytes, undefined, this.fs);
      return file;
    });
  }

  /** Records a consolidation in a leased checkpoint: the full report as its own file, the summary as
   * state.json's `consolidation` when the checkpoint has a state.json (each replaced atomically, fsynced). */
  async recordConsolidation(lease: CheckpointLease, report: unknown, summary: unknown): Promise<void> {
    this.leases.check(lease);
    return this.files(async () => {
      await writeFileAtomic(path.join(lease.path, REPORT_FILE), JSON.stringify(report, null, 2), undefined, this.fs);
      const state = await stateWithConsolidation(lease.path, summary);
      if (state !== null) await writeFileAtomic(path.join(lease.path, STATE_FILE), state, undefined, this.fs);
    });
  }

  private async saveNow(s: CheckpointState): Promise<string> {
    const staged = await this.files(() => this.stage(s));
    // A directory of its round leased: wait for the release and try again (it may have been leased anew meanwhile).
    for (;;) {
      const installed = await this.files(() => this.install(staged));
      if (typeof installed === 'string') return installed;
      await this.leases.free(installed.leased);
    }
  }

  /** Writes the checkpoint into a temp directory in the run directory. */
  private async stage(s: CheckpointState): Promise<Staged> {
    const files = encodeCheckpoint(s);
    await this.fs.mkdir(this.runDir, { recursive: true });
    await this.removeStaleTemps();
    const staged = { round: s.state.round, tmp: path.join(this.runDir, tempName(checkpointName(s.state.round))) };
    try {
      await this.fs.mkdir(staged.tmp);
      for (const [file, data] of files) await writeFileDurable(path.join(staged.tmp, file), data, undefined, this.fs);
      await syncDir(staged.tmp, this.fs);
    } catch (e) {
      await this.fs.rm(staged.tmp, { recursive: true, force: true }).catch(() => {});
      throw e;
    }
    return staged;
  }

  /** Renames a staged checkpoint into place under a name no directory has (one atomic step), points `latest`
   * at it and prunes what it supersedes; returns its path, or the leased directory of its round to wait for. */
  private async install(staged: Staged): Promise<string | { leased: string }> {
    let name: string;
    try {
      const sameRound = (await this.list()).filter((e) => e.round === staged.round);
      const leased = sameRound.find((e) => this.leases.isHeld(e.path));
      if (leased) return { leased: leased.path };
      name = checkpointName(staged.round, sameRound.length === 0 ? 0 : sameRound.at(-1)!.generation + 1);
      await this.fs.rename(staged.tmp, path.join(this.runDir, name));
    } catch (e) {
      // This process's temp directories are not cleared by removeStaleTemps: clear this one now.
      await this.fs.rm(staged.tmp, { recursive: true, force: true }).catch(() => {});
      throw e;
    }
    await syncDir(this.runDir, this.fs);
    await this.writeLatestPointer(name);
    // The checkpoint is in place: a failed prune is a warning, retried by the next save.
    await this.prune().catch((e: Error) => this.warn(`pruning old checkpoints failed: ${e.message}`));
    return path.join(this.runDir, name);
  }

  private async writeLatestPointer(name: string): Promise<void> {
    // Its temp file is named like the directories' (tempName), so removeStaleTemps clears a dead writer's.
    await writeFileAtomic(path.join(this.runDir, LATEST_POINTER), `${name}\n`, undefined, this.fs);
  }

  /** Removes older saves of a round and all but the newest `keep` rounds, except leased directories (they go
   * after their release). */
  private async prune(): Promise<void> {
    const entries = await this.list();
    const newestOfRound = entries.filter((e, i) => entries[i + 1]?.round !== e.round);
    const kept = new Set(newestOfRound.slice(-this.keep).map((e) => e.path));
    this.pruneOwed = false;
    for (const e of entries) {
      if (kept.has(e.path)) continue;
      if (this.leases.isHeld(e.path)) this.pruneOwed = true;
      else await this.fs.rm(e.path, { recursive: true, force: true });
    }
  }

  /** Called when a directory's last lease ends; a failure is warned about (the next save prunes again). */
  private async pruneIfOwed(): Promise<void> {
    if (!this.pruneOwed) return;
    await this.files(() => this.prune()).catch((e: Error) => this.warn(`pruning after a lease ended failed: ${e.message}`));
  }

  /** Temp entries of another process (one killed mid-save) are garbage; this process's are in use. */
  private async removeStaleTemps(): Promise<void> {
    for (const name of await this.fs.readdir(this.runDir)) {
      if (name.startsWith(TMP_PREFIX) && !name.includes(`-${process.pid}-`)) {
        await this.fs.rm(path.join(this.runDir, name), { recursive: true, force: true });
      }
    }
  }
}

/** Runs async jobs one at a time, in call order; a failed job does not stop the ones after it. */
function serial(): <T>(job: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (job) => {
    const run = tail.then(job);
    tail = run.catch(() => {});
    return run;
  };
}
