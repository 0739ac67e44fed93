// End to end, real processes: a run directory that cannot be written. chmod stops no write for root (CI runs
// as root), so the coordinator runs in a mount namespace of its own (`unshare -m`) where its run dir is a
// bind mount the test turns read-only and back with `nsenter ... mount -o remount`: EROFS for root too.
// 1. Started read-only: the coordinator says so at once, trains anyway, shows the failing writes in
//    /api/status and /metrics, and its checkpoint lands once the dir is writable again.
// 2. Read-only again mid-run: the same, and training never stops.
// 3. A second coordinator on the same run dir is refused with a clear error (the lock); after kill -9 of the
//    first, --resume takes its lock over and continues from the checkpoint that landed.
// 4. A full disk: the run dir is a 64 KiB tmpfs in the coordinator's namespace (room for its lock and tokens,
//    not for a checkpoint): ENOSPC, training goes on, and the checkpoint lands once the tmpfs is grown.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointStore } from '../coordinator/checkpoints/store.ts';
import { killAll, spawnStlm, startCoordinatorProcess, startPeerProcess, waitFor, type CoordinatorProc } from './cluster/processes.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-readonly-'));
const fullDir = mkdtempSync(path.join(tmpdir(), 'stlm-full-'));
afterAll(async () => {
  await killAll();
  rmSync(runDir, { recursive: true, force: true });
  rmSync(fullDir, { recursive: true, force: true });
});

/** Whether this process may make mount namespaces (root, or CAP_SYS_ADMIN). */
const canUnshare = spawnSync('unshare', ['-m', 'true']).status === 0;

/** Runs stlm with `dir` bind-mounted on itself, read-only from the start if asked, in a namespace of its own. */
function inMountNamespace(dir: string, readOnly: boolean): string[] {
  const ro = readOnly ? ' && mount -o remount,bind,ro "$1" "$1"' : '';
  return ['unshare', '-m', '--propagation', 'private', 'sh', '-c', `mount --bind "$1" "$1"${ro} && shift && exec "$@"`, 'sh', dir];
}

function remount(coord: CoordinatorProc, options: string, dir = runDir): void {
  const r = spawnSync('nsenter', ['-t', String(coord.child.pid), '-m', 'mount', '-o', `remount,${options}`, dir]);
  if (r.status !== 0) throw new Error(`remount ${options} failed: ${r.stderr}`);
}

async function metric(coord: CoordinatorProc, name: string): Promise<number> {
  const text = await (await fetch(`${coord.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
}

describe.skipIf(!canUnshare)('a run directory that cannot be written (needs unshare -m)', () => {
  it('trains on, shows and retries the checkpoint until it lands; one coordinator per run dir', async () => {
    const args = ['--preset', 'tiny', '--run-dir', runDir, '--batch-size', '8', '--checkpoint-every', '2', '--eval-every', '0', '--no-consolidate'];
    let coord = await startCoordinatorProcess(args, 'ro-token', inMountNamespace(runDir, true));
    expect(coord.output()).toMatch(/cannot write to the run directory: training goes on, checkpoints will be retried/);
    startPeerProcess(coord.url, coord.token, ['--max-attempts', '1000']);

    // 1. Read-only from the start: rounds go on, the writes fail, and say so.
    const failing = await waitFor('rounds with failing checkpoint writes', async () => {
      const s = await coord.status();
      return s.round >= 6 && s.checkpointWrites!.failuresInARow >= 2 ? s : undefined;
    }, 90_000, coord);
    expect(failing.checkpoints).toEqual([]);
    expect(failing.checkpointWrites!.lastError).toMatch(/EROFS|read-only/);
    expect(failing.checkpointWrites!.nextRetryAt).not.toBeNull();
    expect(await metric(coord, 'stlm_checkpoint_failures_total')).toBeGreaterThanOrEqual(2);

    // Writable again: the next try lands (and takes the lock it could not take at start).
    remount(coord, 'bind,rw');
    const landed = await waitFor('a checkpoint to land', async () => {
      const s = await coord.status();
      return s.checkpoints.length > 0 && s.checkpointWrites!.failuresInARow === 0 ? s : undefined;
    }, 90_000, coord);
    expect(landed.checkpointWrites!.lastWrittenAt).not.toBeNull();
    expect(await metric(coord, 'stlm_checkpoint_failures_in_a_row')).toBe(0);

    // 2. Read-only mid-run: training goes on, then the checkpoint lands again.
    remount(coord, 'bind,ro');
    const roAt = (await coord.status()).round;
    await waitFor('failures while read-only, with training going on', async () => {
      const s = await coord.status();
      return s.round >= roAt + 4 && s.checkpointWrites!.failuresInARow >= 1 ? s : undefined;
    }, 90_000, coord);
    remount(coord, 'bind,rw');
    const again = await waitFor('writes landing again', async () => {
      const s = await coord.status();
      return s.checkpointWrites!.failuresInARow === 0 && s.checkpoints.at(-1)!.round > roAt ? s : undefined;
    }, 90_000, coord);
    const onDisk = (await new CheckpointStore(runDir, { warn: () => {} }).latest())!;
    expect(onDisk.state.round).toBeGreaterThan(roAt);
    expect(coord.child.exitCode).toBeNull();

    // 3. A second coordinator on the same run dir is refused, naming the first.
    const second = spawnStlm(['coordinator', '--port', '0', '--host', '127.0.0.1', '--token', 'x', '--run-dir', runDir, '--resume']);
    expect(await second.exited).toBe(2);
    expect(second.output()).toMatch(new RegExp(`in use by the coordinator with pid ${coord.child.pid}`));

    // kill -9: the lock stays behind; --resume takes it over with a log line and goes on from the last checkpoint.
    coord.kill('SIGKILL');
    await coord.exited;
    coord = await startCoordinatorProcess(['--run-dir', runDir, '--resume', '--eval-every', '0'], 'ro-token');
    expect(coord.output()).toMatch(/taking over the lock of a coordinator that is gone/);
    expect((await coord.status()).round).toBeGreaterThanOrEqual(again.checkpoints.at(-1)!.round);
  }, 300_000);

  it('a full run dir: ENOSPC, training goes on, the checkpoint lands once there is room', async () => {
    const tmpfs = ['unshare', '-m', '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$1" && shift && exec "$@"', 'sh', fullDir];
    const args = ['--preset', 'tiny', '--run-dir', fullDir, '--batch-size', '8', '--checkpoint-every', '2', '--eval-every', '0', '--no-consolidate'];
    const coord = await startCoordinatorProcess(args, 'full-token', tmpfs);
    startPeerProcess(coord.url, coord.token, ['--max-attempts', '1000']);
    const full = await waitFor('rounds with a full disk', async () => {
      const s = await coord.status();
      return s.round >= 6 && s.checkpointWrites!.failuresInARow >= 2 ? s : undefined;
    }, 90_000, coord);
    expect(full.checkpoints).toEqual([]);
    expect(full.checkpointWrites!.lastError).toMatch(/ENOSPC|no space/);
    remount(coord, 'size=64m', fullDir);
    const landed = await waitFor('a checkpoint to land', async () => {
      const s = await coord.status();
      return s.checkpoints.length > 0 && s.checkpointWrites!.failuresInARow === 0 ? s : undefined;
    }, 90_000, coord);
    // The tmpfs is only in the coordinator's namespace: read it through /proc/<pid>/root.
    const inNamespace = path.join(`/proc/${coord.child.pid}/root`, fullDir);
    expect((await new CheckpointStore(inNamespace, { warn: () => {} }).latest())!.state.round).toBe(landed.checkpoints.at(-1)!.round);
    expect(coord.child.exitCode).toBeNull();
  }, 300_000);
});
