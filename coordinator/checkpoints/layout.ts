// The run directory's layout, in one place. Only the checkpoint store's own modules import this file
// (checkpoints/store.ts, checkpoints/files.ts); the rest of the code asks CheckpointStore.
//   runDir/ckpt-<round, 8 digits>/   one checkpoint (ckpt-<round>.<n>: the same round saved again, n = 1, 2, ...;
//                                    a new name, so that replacing a round's checkpoint is one atomic rename):
//     weights.stlm        the master weights (model/weights-file.ts)
//     optimizer.bin       the optimizer state (optimizer/state-file.ts)
//     state.json          everything else, written last (checkpoints/files.ts)
//     model.stlmq         the consolidated model, once consolidated (consolidation/consolidate-checkpoint.ts)
//     consolidation.json  that consolidation's full report
//   runDir/latest          the name of the checkpoint written last
//   runDir/coordinator.lock the running coordinator's pid and host (checkpoints/run-lock.ts)
//   runDir/tokens.json     the join and admin tokens, owner-only (checkpoints/run-tokens.ts), never in a checkpoint
//   runDir/.tmp-*          a save under way, or a dead writer's leftovers (checkpoints/atomic-file.ts's tempName)
import { existsSync, readdirSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';

export const WEIGHTS_FILE = 'weights.stlm';
export const OPTIMIZER_FILE = 'optimizer.bin';
export const STATE_FILE = 'state.json';
export const CONSOLIDATED_FILE = 'model.stlmq';
export const REPORT_FILE = 'consolidation.json';
export const LATEST_POINTER = 'latest';
export const TOKENS_FILE = 'tokens.json';
export const LOCK_FILE = 'coordinator.lock';

const PREFIX = 'ckpt-';
/** The names the store writes; only these are listed, loaded by latest() and pruned. */
const STORED_RE = /^ckpt-(\d{8,})(?:\.([1-9]\d*))?$/;
/** Any number of digits: a checkpoint named by hand (`ckpt-7`) is still one for the CLI and consolidation. */
const NAMED_RE = /^ckpt-(\d+)(?:\.([1-9]\d*))?$/;

/** Where a checkpoint name sits in the run: its round, then how many times that round was saved before. */
export interface StoredName {
  round: number;
  generation: number;
}

export function checkpointName(round: number, generation = 0): string {
  const base = `${PREFIX}${String(round).padStart(8, '0')}`;
  return generation > 0 ? `${base}.${generation}` : base;
}

/** The round and generation of a directory name the store writes, or null for any other entry. */
export function storedName(name: string): StoredName | null {
  const m = STORED_RE.exec(name);
  return m ? { round: Number(m[1]), generation: Number(m[2] ?? 0) } : null;
}

/** Newest last: by round, then by generation. */
export function byAge(a: StoredName, b: StoredName): number {
  return a.round - b.round || a.generation - b.generation;
}

/** The round a checkpoint directory's name carries, or null when it is named otherwise. */
export function namedRound(dir: string): number | null {
  return namedCheckpoint(dir)?.round ?? null;
}

function namedCheckpoint(dir: string): StoredName | null {
  const m = NAMED_RE.exec(path.basename(path.resolve(dir)));
  return m ? { round: Number(m[1]), generation: Number(m[2] ?? 0) } : null;
}

/** Whether `dir` holds an entry named like a checkpoint, complete or not (what `--resume` looks for). */
export function isRunDir(dir: string): boolean {
  return readdirSync(dir).some((f) => f.startsWith(PREFIX));
}

/** A checkpoint directory from a checkpoint or run directory: the run's newest one that is complete
 * (state.json is written last, so its presence means the checkpoint is whole). */
export async function resolveCheckpointDir(dir: string): Promise<string> {
  if (existsSync(path.join(dir, WEIGHTS_FILE))) return dir;
  const named = (await readdir(dir))
    .map((name) => ({ name, at: namedCheckpoint(name) }))
    .filter((e): e is { name: string; at: StoredName } => e.at !== null && existsSync(path.join(dir, e.name, STATE_FILE)));
  if (named.length === 0) throw new Error(`${dir}: neither a checkpoint (no ${WEIGHTS_FILE}) nor a run directory with checkpoints`);
  named.sort((a, b) => byAge(b.at, a.at));
  return path.join(dir, named[0]!.name);
}

/** The file a path designates: itself, or the dense weights of the checkpoint it resolves to. */
export async function resolveModelFile(p: string): Promise<string> {
  let info;
  try {
    info = await stat(p);
  } catch {
    throw new Error(`${p}: no such file or directory`);
  }
  return info.isDirectory() ? path.join(await resolveCheckpointDir(p), WEIGHTS_FILE) : p;
}
