// End to end, real processes, real WebRTC: a coordinator and two Node peers train the tiny preset.
// Validation bits per byte must fall and both peers must have contributed accepted results.
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, startCoordinatorProcess, startPeerProcess, waitFor } from './cluster/processes.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CheckpointStore } from '../coordinator/checkpoints/store.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-train-'));

afterAll(async () => {
  await killAll();
  rmSync(runDir, { recursive: true, force: true });
});

describe('coordinator + 2 Node peers', () => {
  it('trains the tiny preset: validation bpb falls and both peers contribute', async () => {
    const coord = await startCoordinatorProcess([
      '--preset', 'tiny', '--run-dir', runDir, '--batch-size', '8', '--min-peers', '2', '--eval-every', '10',
      '--checkpoint-every', '0', '--min-deadline', '30000', '--codec', 'int8', '--lr', '0.01', '--seed', '7',
    ]);
    const peers = [startPeerProcess(coord.url, coord.token), startPeerProcess(coord.url, coord.token)];
    const final = await waitFor(
      '40 rounds',
      async () => {
        const s = await coord.status();
        return s.round >= 40 && s.validation.length >= 5 ? s : undefined;
      },
      100_000,
      coord,
    );
    const first = final.validation[0]!.bpb;
    const last = final.validation.at(-1)!.bpb;
    expect(Number.isFinite(first)).toBe(true);
    expect(last).toBeLessThan(first - 0.3);
    expect(final.peers).toHaveLength(2);
    for (const p of final.peers) {
      expect(p.kind).toBe('node');
      expect(p.roundsContributed).toBeGreaterThan(10);
      expect(p.rejected).toBe(0);
    }
    // Every round had both peers (min-peers 2, and a deadline generous enough for 2 busy cores).
    expect(final.recentLoss.every((r) => r.peers === 2)).toBe(true);
    expect(final.bytesProcessed).toBeGreaterThan(0);
    for (const p of peers) expect(p.output()).not.toMatch(/ERR_/);

    // SIGTERM: the coordinator writes a checkpoint of the round it reached, then exits cleanly.
    const reached = (await coord.status()).round;
    coord.kill('SIGTERM');
    expect(await coord.exited).toBe(0);
    const store = new CheckpointStore(runDir);
    const ck = await store.latest();
    expect(ck).not.toBeNull();
    expect(ck!.state.round).toBeGreaterThanOrEqual(reached);
    expect(ck!.history?.validation.length).toBeGreaterThanOrEqual(5);
  });
});
