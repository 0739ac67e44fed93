// A peer that sends FLT_MAX gradients does not end the run. A coordinator and two peers in this process (real
// WebRTC over loopback): an honest Node peer, and a peer built on the project's own client
// (connectToCoordinator + runPeer) whose every gradient is FLT_MAX. Before, the optimizer step on such a
// contribution threw out of the round loop (the sum of squares for clipping overflows) and the run ended
// without a checkpoint. Now the screen rejects it (norm-unusable), the bad peer is dropped after three
// rejections in a row, the master weights stay finite, and the honest peer trains on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../coordinator/settings/settings.ts';
import { startCoordinator, type RunningCoordinator } from '../coordinator/http/server.ts';
import type { PeerTrainer } from '../peer/core/peer-trainer.ts';
import { startNodePeer, type NodePeerHandle } from '../peer/node/node-peer.ts';
import { waitFor } from './cluster/processes.ts';
import { startPoisonPeer } from './cluster/poison-peer.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-poison-'));
let coord: RunningCoordinator | undefined;
let honest: NodePeerHandle | undefined;
let bad: PeerTrainer | undefined;

afterAll(async () => {
  bad?.stop();
  honest?.stop();
  await coord?.close();
  rmSync(runDir, { recursive: true, force: true });
});

describe('a peer that sends FLT_MAX gradients', () => {
  it('has its rounds dropped and is kicked; the run goes on with finite weights', async () => {
    const settings = await loadSettings({
      overrides: {
        port: 0, host: '127.0.0.1', preset: 'tiny', codec: 'fp32', batchSize: 4, minPeers: 1, evalEvery: 0, checkpointEvery: 0,
        runDir, token: 'poison', seed: 3, deadline: { minMs: 30_000 },
      },
    });
    coord = await startCoordinator(settings, { logger: pino({ level: 'silent' }) });
    const failed: unknown[] = [];
    coord.run.finished.catch((e) => failed.push(e));
    honest = startNodePeer({ url: coord.url, token: 'poison', logger: pino({ level: 'silent' }) });
    const poisoner = await startPoisonPeer(coord.url, 'poison', (grads) => new Float32Array(grads.length).fill(3.4e38));
    bad = poisoner.trainer;

    const badId = poisoner.id;
    await waitFor('the bad peer to be kicked', () => (coord!.run.status().peers.some((p) => p.id === badId) ? undefined : true), 60_000);
    const at = coord.run.status().round;
    const after = await waitFor('5 more rounds after the kick', () => {
      const s = coord!.run.status();
      return s.round >= at + 5 ? s : undefined;
    }, 60_000);
    expect(failed).toEqual([]);
    expect(coord.run.state.weights.every(Number.isFinite)).toBe(true);
    expect(after.recentLoss.filter((r) => r.rejected > 0).length).toBeGreaterThanOrEqual(3);
    expect(after.recentLoss.filter((r) => r.round > at).every((r) => r.peers === 1 && Number.isFinite(r.loss))).toBe(true);
    expect(after.peers.map((p) => p.id)).not.toContain(badId);
    expect(after.peers[0]!.rejected).toBe(0);
  });
});
