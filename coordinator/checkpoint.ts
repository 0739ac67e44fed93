// Checkpoints of a run, one directory each: runDir/ckpt-<round, 8 digits>/ holding
//   weights.stlm    the master weights (model/weights-file.ts, CRC-checked)
//   optimizer.bin   the optimizer state (AdamW m/v/t or the outer momentum buffer; coordinator/optimizer/state-file.ts)
//   state.json      round, model version, bytes processed, data cursor, settings (tokens removed), metrics
//                   history, a free-form `consolidation` field, gradual pruning's masks when the run has
//                   them, and each binary file's size and CRC-32.
//   model.stlmq, consolidation.json   the consolidated model and its figures, once consolidated.
// Writing is kill-safe (atomic-file.ts): everything goes into a temp directory, each file is fsynced, the directory is renamed
// into place (atomic on one file system), then the `latest` pointer file is replaced the same way. A reader
// ignores temp directories, and `latest()` loads the newest directory that passes every check, so a torn or
// corrupt newest checkpoint costs only the rounds since the one before it.
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from '../common/crc32.ts';
import { configFromFile, type StlmConfig } from '../model/config.ts';
import { modelManifest } from '../model/layout.ts';
import { sameManifest, type ParamManifest } from '../model/params.ts';
import { decodeWeightsFile, encodeWeightsFile } from '../model/weights-file.ts';
import type { DatasetCursor } from '../data/dataset.ts';
import type { RoundRecord } from '../protocol/status.ts';
import { decodeOptimizerFile, encodeOptimizerFile, type OptimizerState } from './optimizer/index.ts';
import { TMP_PREFIX, syncDir, tempName, writeFileAtomic, writeFileDurable } from './atomic-file.ts';

export const CHECKPOINT_FORMAT = 1;
const DIR_RE = /^ckpt-(\d{8,})$/;
const WEIGHTS = 'weights.stlm';
const OPTIMIZER = 'optimizer.bin';
const STATE = 'state.json';

export interface CheckpointHistory {
  rounds: RoundRecord[];
  validation: Array<{ round: number; bpb: number }>;
}

export interface CheckpointState {
  runId: string;
  config: StlmConfig;
  /** The run's settings; `token` and `adminToken` are removed before writing whatever the caller passes. */
  settings: Record<string, unknown>;
  state: {
    round: number;
    version: number;
    bytesProcessed: number;
    weights: Float32Array;
    /** AdamW's or outer Nesterov's, tagged by kind; validated when loaded (optimizer/state-file.ts). */
    optimizer: OptimizerState;
  };
  dataCursor: DatasetCursor;
  history?: CheckpointHistory;
  /** Filled by the consolidation step (pruning + quantization); free-form JSON. */
  consolidation?: unknown;
  /** Gradual pruning's schedule step and keep masks (JSON, masks as base64 bits); absent for one-shot runs. */
  pruning?: unknown;
  /** Default: modelManifest(config). */
  manifest?: ParamManifest;
}

export interface LoadedCheckpoint extends CheckpointState {
  path: string;
  manifest: ParamManifest;
  savedAt: string;
}

export interface CheckpointEntry {
  name: string;
  path: string;
  round: number;
}

interface StateJson {
  format: number;
  runId: string;
  round: number;
  modelVersion: number;
  bytesProcessed: number;
  savedAt: string;
  config: StlmConfig;
  settings: Record<string, unknown>;
  dataCursor: DatasetCursor;
  history: CheckpointHistory;
  consolidation: unknown;
  pruning?: unknown;
  files: Record<string, { bytes: number; crc32: number }>;
}

export interface CheckpointStoreOptions {
  /** Checkpoints kept after each save (default 3). */
  keep?: number;
  /** Where warnings about skipped checkpoints go (default console.warn). */
  warn?: (message: string) => void;
}

export class CheckpointStore {
  readonly runDir: string;
  readonly keep: number;
  private readonly warn: (message: string) => void;
  /** Saves run one at a time (periodic, admin and shutdown saves may overlap). */
  private saving: Promise<unknown> = Promise.resolve();

  constructor(runDir: string, opts: CheckpointStoreOptions = {}) {
    if (typeof runDir !== 'string' || runDir.length === 0) throw new Error('CheckpointStore: runDir must be a non-empty path');
    const keep = opts.keep ?? 3;
    if (!Number.isInteger(keep) || keep < 1) throw new Error(`CheckpointStore: keep must be a positive integer, got ${keep}`);
    this.runDir = runDir;
    this.keep = keep;
    this.warn = opts.warn ?? ((m) => console.warn(m));
  }

  /** Writes a checkpoint atomically; returns its directory. Saving the same round twice replaces it. */
  save(s: CheckpointState): Promise<string> {
    const run = this.saving.then(() => this.saveNow(s));
    this.saving = run.catch(() => {});
    return run;
  }

  private async saveNow(s: CheckpointState): Promise<string> {
    const { round, version, bytesProcessed, weights, optimizer } = s.state;
    if (!Number.isInteger(round) || round < 0) throw new Error(`checkpoint: bad round ${round}`);
    const manifest = s.manifest ?? modelManifest(s.config);
    const weightsBytes = encodeWeightsFile({ config: s.config, weights, manifest, meta: { runId: s.runId, round, modelVersion: version } });
    const optimizerBytes = encodeOptimizerFile(optimizer);
    const { token: _t, adminToken: _a, ...settings } = s.settings;
    const state: StateJson = {
      format: CHECKPOINT_FORMAT,
      runId: s.runId,
      round,
      modelVersion: version,
      bytesProcessed,
      savedAt: new Date().toISOString(),
      config: s.config,
      settings,
      dataCursor: s.dataCursor,
      history: s.history ?? { rounds: [], validation: [] },
      consolidation: s.consolidation ?? null,
      ...(s.pruning ? { pruning: s.pruning } : {}),
      files: {
        [WEIGHTS]: { bytes: weightsBytes.length, crc32: crc32(weightsBytes) },
        [OPTIMIZER]: { bytes: optimizerBytes.length, crc32: crc32(optimizerBytes) },
      },
    };
    await mkdir(this.runDir, { recursive: true });
    await this.removeStaleTemps();
    const name = `ckpt-${String(round).padStart(8, '0')}`;
    const final = path.join(this.runDir, name);
    const tmp = path.join(this.runDir, tempName(name));
    await mkdir(tmp);
    try {
      await writeFileDurable(path.join(tmp, WEIGHTS), weightsBytes);
      await writeFileDurable(path.join(tmp, OPTIMIZER), optimizerBytes);
      // state.json last: a directory without it is never mistaken for a checkpoint.
      await writeFileDurable(path.join(tmp, STATE), JSON.stringify(state, null, 1));
      await syncDir(tmp);
      await this.replaceDir(tmp, final);
    } catch (e) {
      await rm(tmp, { recursive: true, force: true });
      throw e;
    }
    await this.writeLatestPointer(name);
    await this.prune();
    return final;
  }

  /** Checkpoint directories (complete or not), oldest first. Temp directories are not listed. */
  async list(): Promise<CheckpointEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.runDir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names
      .map((name) => ({ name, m: DIR_RE.exec(name) }))
      .filter((x) => x.m)
      .map((x) => ({ name: x.name, path: path.join(this.runDir, x.name), round: Number(x.m![1]) }))
      .sort((a, b) => a.round - b.round);
  }

  /** The newest checkpoint that loads and passes every check; null if there is none. Skipped ones are warned about. */
  async latest(): Promise<LoadedCheckpoint | null> {
    const entries = await this.list();
    for (let i = entries.length - 1; i >= 0; i--) {
      try {
        return await this.load(entries[i]!.path);
      } catch (e) {
        this.warn(`checkpoint ${entries[i]!.path} skipped: ${(e as Error).message}`);
      }
    }
    return null;
  }

  /** Loads and checks one checkpoint directory; throws a clear error for anything missing or corrupt. */
  async load(dir: string): Promise<LoadedCheckpoint> {
    let state: StateJson;
    try {
      state = JSON.parse(await readFile(path.join(dir, STATE), 'utf8')) as StateJson;
    } catch (e) {
      throw new Error(`${STATE} unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (state?.format !== CHECKPOINT_FORMAT) throw new Error(`${STATE}: unsupported checkpoint format ${state?.format}`);
    const [weightsBytes, optimizerBytes] = await Promise.all([WEIGHTS, OPTIMIZER].map((f) => readChecked(dir, f, state.files)));
    const w = decodeWeightsFile(weightsBytes!);
    const config = configFromFile(state.config);
    const manifest = modelManifest(config);
    if (!sameManifest(w.manifest, manifest)) throw new Error(`${WEIGHTS}: parameter layout does not match the checkpoint's config`);
    return {
      path: dir,
      runId: state.runId,
      savedAt: state.savedAt,
      config,
      settings: state.settings,
      manifest,
      state: {
        round: state.round,
        version: state.modelVersion,
        bytesProcessed: state.bytesProcessed,
        weights: w.weights,
        optimizer: decodeOptimizerFile(optimizerBytes!),
      },
      dataCursor: state.dataCursor,
      history: state.history,
      consolidation: state.consolidation ?? undefined,
      pruning: state.pruning ?? undefined,
    };
  }

  /** Records the consolidation result in a checkpoint's state.json (atomic replace). */
  async setConsolidation(dir: string, consolidation: unknown): Promise<void> {
    const file = path.join(dir, STATE);
    const state = JSON.parse(await readFile(file, 'utf8')) as StateJson;
    state.consolidation = consolidation ?? null;
    await writeFileAtomic(file, JSON.stringify(state, null, 1));
  }

  private async replaceDir(tmp: string, final: string): Promise<void> {
    try {
      await rename(tmp, final);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
      // Same round saved again (periodic, then on SIGTERM): move the old one aside, then swap.
      const old = path.join(this.runDir, tempName(`old-${path.basename(final)}`));
      await rename(final, old);
      await rename(tmp, final);
      await rm(old, { recursive: true, force: true });
    }
    await syncDir(this.runDir);
  }

  private async writeLatestPointer(name: string): Promise<void> {
    // Its temp file is named like the directories' (tempName), so removeStaleTemps clears a dead writer's.
    await writeFileAtomic(path.join(this.runDir, 'latest'), `${name}\n`);
  }

  private async prune(): Promise<void> {
    const entries = await this.list();
    for (const e of entries.slice(0, Math.max(0, entries.length - this.keep))) await rm(e.path, { recursive: true, force: true });
  }

  /** Temp entries of another process (one killed mid-save) are garbage; this process's are in use. */
  private async removeStaleTemps(): Promise<void> {
    for (const name of await readdir(this.runDir)) {
      if (name.startsWith(TMP_PREFIX) && !name.includes(`-${process.pid}-`)) {
        await rm(path.join(this.runDir, name), { recursive: true, force: true });
      }
    }
  }
}

async function readChecked(dir: string, file: string, files: StateJson['files'] | undefined): Promise<Uint8Array> {
  const expected = files?.[file];
  if (!expected) throw new Error(`${STATE} does not describe ${file}`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path.join(dir, file)));
  } catch (e) {
    throw new Error(`${file} unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (bytes.length !== expected.bytes) throw new Error(`${file}: ${bytes.length} bytes, expected ${expected.bytes} (truncated?)`);
  if (crc32(bytes) !== expected.crc32) throw new Error(`${file}: checksum mismatch, the file is corrupt`);
  return bytes;
}
