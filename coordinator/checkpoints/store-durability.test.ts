// The store under a process killed at every file operation of a save, under a full or read-only disk (through
// its WriteFs seam: as root, chmod stops no write), and with a damaged state.json.
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../model/config.ts';
import { modelManifest } from '../../model/layout.ts';
import { manifestSize } from '../../model/params.ts';
import { Dataset } from '../../data/dataset.ts';
import { nodeFs, type WriteFs } from './atomic-file.ts';
import { stateText } from './state-json.ts';
import { CheckpointStore, type CheckpointState } from './store.ts';

const root = mkdtempSync(path.join(tmpdir(), 'stlm-ckpt-durable-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(root, `run${n++}`);

const config = resolveConfig('tiny');
const size = manifestSize(modelManifest(config));
const dataset = new Dataset({ train: Array.from({ length: 50 }, (_, i) => new Uint8Array([i + 1, 2])), heldOut: [new Uint8Array([9])] }, { seed: 1 });

function state(round: number, bytesProcessed = round * 1000): CheckpointState {
  const w = Float32Array.from({ length: size }, (_, i) => Math.cos(i * 0.01 + round));
  return {
    runId: 'run-durable', config, settings: { preset: 'tiny' },
    state: { round, version: round, bytesProcessed, weights: w, optimizer: { kind: 'adamw', m: w, v: w, t: round } },
    dataCursor: dataset.exportCursor(),
  };
}

/** A file system that dies (every call fails from then on, as in a killed process) after `limit` calls. */
function dyingFs(limit: number): { fs: WriteFs; died: () => boolean } {
  let calls = 0;
  const step = () => {
    if (++calls > limit) throw Object.assign(new Error('killed'), { code: 'EKILLED' });
  };
  const fs: WriteFs = {
    mkdir: async (d, o) => (step(), nodeFs.mkdir(d, o)),
    rename: async (a, b) => (step(), nodeFs.rename(a, b)),
    rm: async (t, o) => (step(), nodeFs.rm(t, o)),
    readdir: async (d) => (step(), nodeFs.readdir(d)),
    open: async (f, fl, m) => {
      step();
      const h = await nodeFs.open(f, fl, m);
      return {
        writeFile: async (data) => (step(), h.writeFile(data)),
        sync: async () => (step(), h.sync()),
        close: () => h.close(),
      };
    },
  };
  return { fs, died: () => calls > limit };
}

/** A disk that refuses to create anything while `error` is set (ENOSPC: full; EROFS: read-only). */
function refusingFs(): { fs: WriteFs; error: string | null } {
  const ctl: { fs: WriteFs; error: string | null } = { fs: nodeFs, error: null };
  const check = () => {
    if (ctl.error) throw Object.assign(new Error(`${ctl.error}: refused`), { code: ctl.error });
  };
  ctl.fs = {
    ...nodeFs,
    mkdir: async (d, o) => (check(), nodeFs.mkdir(d, o)),
    rename: async (a, b) => (check(), nodeFs.rename(a, b)),
    open: async (f, fl, m) => (fl !== 'r' && check(), nodeFs.open(f, fl, m)),
  };
  return ctl;
}

const quiet = (dir: string, fs?: WriteFs) => new CheckpointStore(dir, { warn: () => {}, fs });

describe('CheckpointStore durability', () => {
  it('a kill at any file operation of a same-round save leaves a whole checkpoint of that round', async () => {
    let completed = false;
    for (let limit = 0; !completed; limit++) {
      const dir = freshDir();
      await quiet(dir).save(state(3));
      const dying = dyingFs(limit);
      await quiet(dir, dying.fs).save(state(3, 42)).catch(() => {});
      completed = !dying.died();
      const got = (await quiet(dir).latest())!;
      expect(got, `killed after ${limit} file operations`).not.toBeNull();
      expect(got.state.round).toBe(3);
      // The old save until the new one's rename, the new one from then on.
      expect([3000, 42]).toContain(got.state.bytesProcessed);
      if (completed) expect(got.state.bytesProcessed).toBe(42);
      expect(limit).toBeLessThan(100);
    }
  });

  it('a kill at any file operation of the next round\'s save leaves the newest whole checkpoint loadable', async () => {
    let completed = false;
    for (let limit = 0; !completed; limit++) {
      const dir = freshDir();
      const store = new CheckpointStore(dir, { keep: 1, warn: () => {} });
      await store.save(state(3));
      const dying = dyingFs(limit);
      await new CheckpointStore(dir, { keep: 1, warn: () => {}, fs: dying.fs }).save(state(4)).catch(() => {});
      completed = !dying.died();
      const got = (await quiet(dir).latest())!;
      expect(got, `killed after ${limit} file operations`).not.toBeNull();
      expect([3, 4]).toContain(got.state.round);
      if (completed) expect(readdirSync(dir).sort()).toEqual(['ckpt-00000004', 'latest']);
    }
  });

  it('a full or read-only disk fails the save cleanly; the next save, once writable, lands', async () => {
    const dir = freshDir();
    const disk = refusingFs();
    const store = quiet(dir, disk.fs);
    await store.save(state(1));
    for (const error of ['ENOSPC', 'EROFS']) {
      disk.error = error;
      await expect(store.save(state(2))).rejects.toMatchObject({ code: error });
      expect(readdirSync(dir).sort()).toEqual(['ckpt-00000001', 'latest']);
      expect((await store.latest())!.state.round).toBe(1);
    }
    disk.error = null;
    await store.save(state(2));
    expect((await store.latest())!.state.round).toBe(2);
  });

  it('state.json carries a checksum: a changed digit is caught and the checkpoint before loads', async () => {
    const dir = freshDir();
    const warnings: string[] = [];
    const store = new CheckpointStore(dir, { warn: (m) => warnings.push(m) });
    await store.save(state(1));
    const second = await store.save(state(2));
    const file = path.join(second, 'state.json');
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text).checksum).toMatch(/^crc32:[0-9a-f]{8}$/);
    // Still valid JSON, still a plausible checkpoint: only the checksum tells.
    writeFileSync(file, text.replace('"bytesProcessed": 2000', '"bytesProcessed": 9000'));
    expect((await store.latest())!.state.round).toBe(1);
    expect(warnings[0]).toMatch(/ckpt-00000002 skipped: state.json: checksum mismatch/);
  });

  it('state.json is checked against its schema: a missing or malformed field names itself', async () => {
    const dir = freshDir();
    const store = quiet(dir);
    const ck = await store.save(state(5));
    const file = path.join(ck, 'state.json');
    const good = JSON.parse(readFileSync(file, 'utf8'));
    const { dataCursor: _gone, ...noCursor } = good;
    writeFileSync(file, stateText(noCursor));
    await expect(store.load(ck)).rejects.toThrow(/state.json: dataCursor: /);
    writeFileSync(file, stateText({ ...good, round: -1 }));
    await expect(store.load(ck)).rejects.toThrow(/state.json: round: /);
    const { checksum: _c, ...unsummed } = good;
    writeFileSync(file, JSON.stringify(unsummed));
    await expect(store.load(ck)).rejects.toThrow(/state.json: no checksum/);
    // A format-1 checkpoint (written before the checksum) still loads.
    writeFileSync(file, JSON.stringify({ ...unsummed, format: 1 }));
    expect((await store.load(ck)).state.round).toBe(5);
  });
});
