// One coordinator per run directory: the lock file, a second coordinator refused, a dead one's lock taken over.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nodeFs, type WriteFs } from './atomic-file.ts';
import { RunDirLock, RunDirLockedError } from './run-lock.ts';

const root = mkdtempSync(path.join(tmpdir(), 'stlm-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => path.join(root, `run${n++}`);

/** A pid that was alive a moment ago and is not now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

describe('RunDirLock', () => {
  it('writes pid and host, refuses a second coordinator with a clear error, and is gone after release', async () => {
    const dir = freshDir();
    const first = new RunDirLock(dir, () => {});
    await first.acquire();
    const owner = JSON.parse(readFileSync(first.file, 'utf8'));
    expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
    const second = new RunDirLock(dir, () => {});
    const err = await second.acquire().catch((e: Error) => e);
    expect(err).toBeInstanceOf(RunDirLockedError);
    expect((err as Error).message).toMatch(new RegExp(`in use by the coordinator with pid ${process.pid} on ${hostname()}.*delete .*coordinator.lock`));
    expect(second.held).toBe(false);
    await first.release();
    expect(existsSync(first.file)).toBe(false);
    await second.acquire();
    expect(second.held).toBe(true);
    await second.release();
  });

  it('takes over the lock of a coordinator that died, with a log line; a half-written one too', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    const pid = deadPid();
    writeFileSync(path.join(dir, 'coordinator.lock'), JSON.stringify({ pid, host: hostname(), startedAt: '2026-01-01T00:00:00.000Z' }));
    const logs: string[] = [];
    const lock = new RunDirLock(dir, (m) => logs.push(m));
    await lock.acquire();
    expect(logs).toEqual([`taking over the lock of a coordinator that is gone (pid ${pid} on ${hostname()}, since 2026-01-01T00:00:00.000Z)`]);
    expect(JSON.parse(readFileSync(lock.file, 'utf8')).pid).toBe(process.pid);
    await lock.release();

    writeFileSync(path.join(dir, 'coordinator.lock'), '{"pid": 12');
    await new RunDirLock(dir, (m) => logs.push(m)).acquire();
    expect(logs[1]).toMatch(/unreadable lock file/);
  });

  it('never takes over a lock from another host', async () => {
    const dir = freshDir();
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'coordinator.lock'), JSON.stringify({ pid: deadPid(), host: 'elsewhere', startedAt: 'x' }));
    await expect(new RunDirLock(dir, () => {}).acquire()).rejects.toThrow(/on elsewhere/);
  });

  it('an unwritable run dir is a file-system error, and ensure() takes the lock once it can', async () => {
    const dir = freshDir();
    let readOnly = true;
    const fs: WriteFs = {
      ...nodeFs,
      mkdir: async (d, o) => {
        if (readOnly) throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
        return nodeFs.mkdir(d, o);
      },
    };
    const lock = new RunDirLock(dir, () => {}, fs);
    await expect(lock.ensure()).rejects.toMatchObject({ code: 'EROFS' });
    expect(lock.held).toBe(false);
    readOnly = false;
    await lock.ensure();
    expect(lock.held).toBe(true);
    await lock.ensure(); // held: nothing to do
    await lock.release();
  });
});
