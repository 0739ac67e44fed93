// Kill-safe, power-cut-safe file writes (Node). Every file the coordinator and the CLI replace in place goes
// through writeFileAtomic: a temp file in the same directory, fsynced, renamed over the target (atomic on one
// file system), then the directory fsynced so the rename itself is durable. A reader sees the old file or the
// new one, never half of one. Checkpoints (checkpoints/store.ts) write whole directories the same way, with
// writeFileDurable for the files inside and tempName/syncDir for the directory.
//
// Every write goes through a WriteFs, node:fs/promises unless one is passed: the seam through which tests give
// the store a full disk or a read-only directory, which a process running as root (as CI's does) cannot get
// from chmod.
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import path from 'node:path';

/** The file handle calls a write needs. */
export interface WriteHandle {
  writeFile(data: Uint8Array | string): Promise<void>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

/** The file-system calls the checkpoint store and the atomic writes make. */
export interface WriteFs {
  mkdir(dir: string, opts?: { recursive?: boolean }): Promise<unknown>;
  open(file: string, flags: 'w' | 'wx' | 'r', mode?: number): Promise<WriteHandle>;
  rename(from: string, to: string): Promise<void>;
  rm(target: string, opts?: { recursive?: boolean; force?: boolean }): Promise<void>;
  readdir(dir: string): Promise<string[]>;
}

export const nodeFs: WriteFs = {
  mkdir: (dir, opts) => fsp.mkdir(dir, opts),
  open: (file, flags, mode) => fsp.open(file, flags, mode),
  rename: (from, to) => fsp.rename(from, to),
  rm: (target, opts) => fsp.rm(target, opts),
  readdir: (dir) => fsp.readdir(dir),
};

/** Every temp file or directory name starts with this (checkpoints/store.ts removes a dead writer's leftovers). */
export const TMP_PREFIX = '.tmp-';

/** A temp name for `what`; it carries the pid, so a later process can tell a dead writer's leftovers from its own. */
export function tempName(what: string): string {
  return `${TMP_PREFIX}${what}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/** Writes `data` (a string as UTF-8) to `file` and fsyncs it. Not atomic on its own: for files inside a
 * temp directory that is renamed into place afterwards. */
export async function writeFileDurable(file: string, data: Uint8Array | string, mode?: number, fs: WriteFs = nodeFs): Promise<void> {
  // A mode applies when the file is created: a secret is never readable by others, not even for a moment.
  const fh = await fs.open(file, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync a directory so a rename inside it survives a power cut (Linux; a no-op error elsewhere is ignored). */
export async function syncDir(dir: string, fs: WriteFs = nodeFs): Promise<void> {
  let fh;
  try {
    fh = await fs.open(dir, 'r');
    await fh.sync();
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  } finally {
    await fh?.close();
  }
}

/**
 * Replaces `file` with `data` (a string as UTF-8) atomically and durably. If anything fails, the temp file is
 * removed, `file` is left as it was and the error is thrown.
 */
export async function writeFileAtomic(file: string, data: Uint8Array | string, mode?: number, fs: WriteFs = nodeFs): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, tempName(path.basename(file)));
  try {
    await writeFileDurable(tmp, data, mode, fs);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
  await syncDir(dir, fs);
}
