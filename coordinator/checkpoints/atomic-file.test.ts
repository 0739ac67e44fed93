import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TMP_PREFIX, writeFileAtomic } from './atomic-file.ts';

// A disk that fills up half-way through the next write: the temp file gets half the bytes, then ENOSPC.
// Every path opened is recorded.
const disk = vi.hoisted(() => ({ failNextWrite: false, opened: [] as string[] }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (...args) => {
    disk.opened.push(String(args[0]));
    const fh = await real.open(...args);
    if (!disk.failNextWrite) return fh;
    disk.failNextWrite = false;
    return Object.assign(fh, {
      writeFile: async (data: Uint8Array | string) => {
        const bytes = typeof data === 'string' ? Buffer.from(data) : data;
        await fh.write(bytes.subarray(0, bytes.length >> 1));
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    });
  };
  return { ...real, open };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'atomic-file-'));
});
afterEach(() => {
  disk.failNextWrite = false;
  disk.opened = [];
  rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('writes bytes or UTF-8 text, replaces an existing file and leaves no temp file', async () => {
    const file = path.join(dir, 'weights.stlm');
    await writeFileAtomic(file, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
    await writeFileAtomic(file, 'día\n');
    expect(readFileSync(file, 'utf8')).toBe('día\n');
    await writeFileAtomic(file, new Uint8Array(0));
    expect(readFileSync(file).length).toBe(0);
    expect(readdirSync(dir)).toEqual(['weights.stlm']);
  });

  it('a write that fails half-way leaves the old file as it was and no temp file', async () => {
    const file = path.join(dir, 'state.json');
    writeFileSync(file, '{"round":1}');
    disk.failNextWrite = true;
    await expect(writeFileAtomic(file, '{"round":2,"padding":"' + 'x'.repeat(1000) + '"}')).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(file, 'utf8')).toBe('{"round":1}');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('a rename that fails leaves the target and no temp file', async () => {
    const target = path.join(dir, 'latest');
    mkdirSync(path.join(target, 'inside'), { recursive: true });
    await expect(writeFileAtomic(target, 'ckpt-00000001\n')).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['latest']);
    expect(readdirSync(target)).toEqual(['inside']);
  });

  it('fails cleanly when the directory does not exist', async () => {
    await expect(writeFileAtomic(path.join(dir, 'missing', 'f'), 'x')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes its temp file beside the target, named with TMP_PREFIX and the pid (what checkpoint.ts clears after a crash)', async () => {
    await writeFileAtomic(path.join(dir, 'latest'), 'x');
    const tmp = disk.opened[0]!;
    expect(path.dirname(tmp)).toBe(dir);
    expect(path.basename(tmp).startsWith(`${TMP_PREFIX}latest-${process.pid}-`)).toBe(true);
  });
});
