import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../model/config.ts';
import { modelManifest } from '../../model/layout.ts';
import { manifestSize } from '../../model/params.ts';
import { CheckpointStore, type CheckpointState } from './store.ts';
import { Dataset } from '../../data/dataset.ts';

const root = mkdtempSync(path.join(tmpdir(), 'stlm-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(root, `run${n++}`);

const config = resolveConfig('tiny');
const size = manifestSize(modelManifest(config));
const dataset = new Dataset({ train: Array.from({ length: 100 }, (_, i) => new Uint8Array([i + 1, 2, 3])), heldOut: [new Uint8Array([9])] }, { seed: 7 });

function filled(k: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => Math.sin(i * 0.01 + k));
}

function state(round: number): CheckpointState {
  dataset.nextBatch(3);
  return {
    runId: 'run-test',
    config,
    settings: { preset: 'tiny', token: 'secret', adminToken: 'secret2', batchSize: 4 },
    state: { round, version: round - 1, bytesProcessed: round * 1000, weights: filled(round), optimizer: { kind: 'adamw', m: filled(round + 1), v: filled(round + 2), t: round } },
    dataCursor: dataset.exportCursor(),
    history: { rounds: [{ round, version: round, loss: 2.5, bytes: 10, peers: 2, rejected: 0, durationMs: 5, at: 'x' }], validation: [{ round, bpb: 3.1 }] },
  };
}

function quietStore(dir: string, keep = 3) {
  const warnings: string[] = [];
  return { store: new CheckpointStore(dir, { keep, warn: (m) => warnings.push(m) }), warnings };
}

describe('CheckpointStore', () => {
  it('round-trips weights, optimizer, round, version, cursor, history; never writes the tokens', async () => {
    const { store } = quietStore(freshDir());
    const s = state(5);
    const dir = await store.save(s);
    expect(path.basename(dir)).toBe('ckpt-00000005');
    const text = readFileSync(path.join(dir, 'state.json'), 'utf8');
    expect(text).not.toMatch(/secret/);
    const got = (await store.latest())!;
    expect(got.path).toBe(dir);
    expect(got.runId).toBe('run-test');
    expect(got.state.round).toBe(5);
    expect(got.state.version).toBe(4);
    expect(got.state.bytesProcessed).toBe(5000);
    expect(got.state.weights).toEqual(s.state.weights);
    expect(got.state.optimizer).toEqual(s.state.optimizer);
    expect(got.dataCursor).toEqual(s.dataCursor);
    expect(got.history).toEqual(s.history);
    expect(got.settings).toEqual({ preset: 'tiny', batchSize: 4 });
    expect(got.config).toEqual(config);
    // The cursor brings a dataset back to the same place.
    const d2 = new Dataset({ train: Array.from({ length: 100 }, (_, i) => new Uint8Array([i + 1, 2, 3])), heldOut: [new Uint8Array([9])] }, { seed: 7 });
    d2.importCursor(got.dataCursor);
    expect(d2.stats().requeuedBatches).toBe(s.dataCursor.outstanding.length);
  });

  it('stores the outer optimizer state too', async () => {
    const { store } = quietStore(freshDir());
    const s: CheckpointState = { ...state(2), state: { ...state(2).state, optimizer: { kind: 'outer-nesterov', buffer: filled(9), steps: 2 } } };
    await store.save(s);
    expect((await store.latest())!.state.optimizer).toEqual({ kind: 'outer-nesterov', buffer: filled(9), steps: 2 });
  });

  it('keeps the last K and points `latest` at the newest', async () => {
    const dir = freshDir();
    const { store } = quietStore(dir, 2);
    for (const r of [1, 2, 3, 4]) await store.save(state(r));
    expect((await store.list()).map((e) => e.round)).toEqual([3, 4]);
    expect(readFileSync(path.join(dir, 'latest'), 'utf8').trim()).toBe('ckpt-00000004');
    expect(readdirSync(dir).sort()).toEqual(['ckpt-00000003', 'ckpt-00000004', 'latest']);
  });

  it('skips a truncated newest checkpoint with a warning and loads the one before', async () => {
    const dir = freshDir();
    const { store, warnings } = quietStore(dir);
    await store.save(state(1));
    const newest = await store.save(state(2));
    const w = path.join(newest, 'weights.stlm');
    truncateSync(w, readFileSync(w).length - 100);
    const got = (await store.latest())!;
    expect(got.state.round).toBe(1);
    expect(got.state.weights).toEqual(filled(1));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/ckpt-00000002 skipped: weights.stlm: .* bytes, expected .* \(truncated\?\)/);
  });

  it('skips a flipped byte in the optimizer file and a directory without state.json', async () => {
    const dir = freshDir();
    const { store, warnings } = quietStore(dir);
    await store.save(state(1));
    const second = await store.save(state(2));
    const third = await store.save(state(3));
    const o = path.join(third, 'optimizer.bin');
    const bytes = readFileSync(o);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(o, bytes);
    rmSync(path.join(second, 'state.json'));
    expect((await store.latest())!.state.round).toBe(1);
    expect(warnings[0]).toMatch(/optimizer.bin: checksum mismatch/);
    expect(warnings[1]).toMatch(/state.json unreadable \(ENOENT\)/);
    await expect(store.load(third)).rejects.toThrow(/checksum mismatch/);
  });

  it('ignores a temp dir left by a writer killed mid-save, and cleans it up on the next save', async () => {
    const dir = freshDir();
    const { store, warnings } = quietStore(dir);
    await store.save(state(1));
    const leftover = path.join(dir, '.tmp-ckpt-00000002-999999-abcdef');
    mkdirSync(leftover);
    writeFileSync(path.join(leftover, 'weights.stlm'), 'partial');
    expect((await store.list()).map((e) => e.round)).toEqual([1]);
    expect((await store.latest())!.state.round).toBe(1);
    expect(warnings).toEqual([]);
    await store.save(state(2));
    expect(readdirSync(dir).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  });

  it('returns null for an empty or missing run dir', async () => {
    expect(await quietStore(freshDir()).store.latest()).toBeNull();
  });

  it('replaces a checkpoint of the same round, and serializes overlapping saves', async () => {
    const { store } = quietStore(freshDir());
    const a = state(3);
    const b = { ...state(3), state: { ...state(3).state, bytesProcessed: 42 } };
    await Promise.all([store.save(a), store.save(b), store.save(state(4))]);
    expect((await store.list()).map((e) => e.name)).toEqual(['ckpt-00000003.1', 'ckpt-00000004']);
    expect((await store.load((await store.list())[0]!.path)).state.bytesProcessed).toBe(42);
  });

  it('records a consolidation through a lease: the report beside the checkpoint, the summary in state.json', async () => {
    const { store } = quietStore(freshDir());
    const dir = await store.save(state(1));
    expect((await store.load(dir)).consolidation).toBeUndefined();
    const lease = store.lease(dir);
    const file = await store.writeConsolidated(lease, new Uint8Array([1, 2, 3]));
    expect(file).toBe(path.join(dir, 'model.stlmq'));
    await store.recordConsolidation(lease, { sparsity: 0.5, codecs: ['int8'] }, { sparsity: 0.5 });
    await lease.release();
    expect(readFileSync(file)).toEqual(Buffer.from([1, 2, 3]));
    expect(JSON.parse(readFileSync(path.join(dir, 'consolidation.json'), 'utf8'))).toEqual({ sparsity: 0.5, codecs: ['int8'] });
    // Still a whole checkpoint: the rewritten state.json keeps the files' sizes and checksums.
    expect((await store.load(dir)).consolidation).toEqual({ sparsity: 0.5 });
    expect(readdirSync(dir).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    await expect(store.recordConsolidation(lease, {}, {})).rejects.toThrow(/released/);
    await expect(store.readDense(lease)).rejects.toThrow(/released/);
  });

  it('keeps a leased checkpoint through pruning, and prunes it once released', async () => {
    const dir = freshDir();
    const { store } = quietStore(dir, 2);
    const first = await store.save(state(1));
    const a = store.lease(first);
    const b = store.lease(first);
    for (const r of [2, 3, 4]) await store.save(state(r));
    expect((await store.list()).map((e) => e.round)).toEqual([1, 3, 4]);
    await a.release();
    await a.release(); // a second release does nothing: b still holds it
    expect((await store.list()).map((e) => e.round)).toEqual([1, 3, 4]);
    await b.release();
    expect((await store.list()).map((e) => e.round)).toEqual([3, 4]);
  });

  it('a same-round save waits for the lease, saves after it wait behind it, the holder\'s writes do not', async () => {
    const dir = freshDir();
    const { store } = quietStore(dir);
    const three = await store.save(state(3));
    const lease = store.lease(three);
    const settled: number[] = [];
    const again = store.save({ ...state(3), state: { ...state(3).state, bytesProcessed: 42 } }).then((p) => (settled.push(3), p));
    const next = store.save(state(4)).then((p) => (settled.push(4), p));
    await store.recordConsolidation(lease, { ok: true }, { ok: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(settled).toEqual([]);
    expect((await store.load(three)).state.bytesProcessed).toBe(3000);
    expect((await store.list()).map((e) => e.round)).toEqual([3]);
    await lease.release();
    // The round's second save, under a name of its own (one rename in); the first is pruned after it.
    expect(await again).toBe(`${three}.1`);
    await next;
    expect(settled).toEqual([3, 4]);
    const replaced = await store.load(`${three}.1`);
    expect(replaced.state.bytesProcessed).toBe(42);
    expect(replaced.consolidation).toBeUndefined(); // the new checkpoint is not the one consolidated
    expect(readdirSync(dir).sort()).toEqual(['ckpt-00000003.1', 'ckpt-00000004', 'latest']);
  });

  it('withLease releases however its function ends', async () => {
    const dir = freshDir();
    const { store } = quietStore(dir, 1);
    const first = await store.save(state(1));
    await expect(store.withLease(first, async () => {
      await store.save(state(2));
      expect((await store.list()).map((e) => e.round)).toEqual([1, 2]);
      throw new Error('consolidation failed');
    })).rejects.toThrow(/consolidation failed/);
    expect((await store.list()).map((e) => e.round)).toEqual([2]);
  });

  it('refuses weights that do not fit the config', async () => {
    const { store } = quietStore(freshDir());
    const s = state(1);
    await expect(store.save({ ...s, state: { ...s.state, weights: new Float32Array(3) } })).rejects.toThrow(/3 weights/);
  });
});
