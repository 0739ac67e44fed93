// End to end, real processes: a Node peer started with `--threads 2` trains on two worker threads (each
// with its own tfjs-wasm) as one peer: /api/status shows its two threads, its results are accepted, and
// Ctrl-C (SIGINT) ends it and its workers cleanly. A worker that dies: cluster-thread-crash.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { killAll, startCoordinatorProcess, startPeerProcess, waitFor } from './cluster/processes.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-threads-'));

afterAll(async () => {
  await killAll();
  rmSync(runDir, { recursive: true, force: true });
});

describe('a Node peer with --threads 2', () => {
  it('joins as one peer with two threads, contributes, and leaves cleanly on SIGINT', async () => {
    const coord = await startCoordinatorProcess([
      '--preset', 'tiny', '--run-dir', runDir, '--batch-size', '8', '--min-peers', '1', '--eval-every', '0',
      '--checkpoint-every', '0', '--min-deadline', '30000', '--seed', '3',
    ]);
    const peer = startPeerProcess(coord.url, coord.token, ['--threads', '2']);
    const trained = await waitFor(
      'the threaded peer to contribute 8 rounds',
      async () => {
        const s = await coord.status();
        const p = s.peers[0];
        return p && p.roundsContributed >= 8 ? s : undefined;
      },
      90_000,
      peer,
    );
    expect(trained.peers).toHaveLength(1);
    const p = trained.peers[0]!;
    expect(p.threads).toBe(2);
    expect(p.backend).toBe('wasm');
    expect(p.rejected).toBe(0);
    expect(trained.recentLoss.every((r) => Number.isFinite(r.loss) && r.loss > 0)).toBe(true);
    // One batch per thread: each round trains more bytes than one batch of 8 tiny-preset examples can hold
    // (16 chunks of at most 6 bytes, plus an end-of-document byte each).
    const oneBatchAtMost = 8 * (16 * 6 + 1);
    expect(trained.recentLoss.every((r) => r.bytes > oneBatchAtMost)).toBe(true);

    peer.kill('SIGINT');
    expect(await peer.exited).toBe(0);
    expect(peer.output()).not.toMatch(/ERR_|died/);
    await waitFor('the peer to leave the run', async () => ((await coord.status()).peers.length === 0 ? true : undefined), 15_000, coord);
  });
});
