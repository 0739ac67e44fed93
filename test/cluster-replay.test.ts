// A peer that replays an old result is refused end to end. A coordinator and two peers in this process (real
// WebRTC over loopback, fp32 codec so that a repeated gradient is a repeated payload): an honest Node peer,
// and a peer built on the project's own client (connectToCoordinator + runPeer) that trains once and then
// sends that first gradient again in every round, for the batches it is assigned. Before, such a result was
// applied as fresh work each round and its batches marked trained; now the round aggregation's replay guard
// refuses it ('replay: ...'), the peer is dropped after three rejections in a row, and the honest peer trains on.
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

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-replay-'));
let coord: RunningCoordinator | undefined;
let honest: NodePeerHandle | undefined;
let bad: PeerTrainer | undefined;

afterAll(async () => {
  bad?.stop();
  honest?.stop();
  await coord?.close();
  rmSync(runDir, { recursive: true, force: true });
});

describe('a peer that replays its first result', () => {
  it('has every later result refused as a replay and is kicked; the run goes on', async () => {
    const settings = await loadSettings({
      overrides: {
        port: 0, host: '127.0.0.1', preset: 'tiny', codec: 'fp32', batchSize: 4, minPeers: 1, evalEvery: 0, checkpointEvery: 0,
        runDir, token: 'replay', seed: 3, deadline: { minMs: 30_000 },
      },
    });
    const replayRejections: string[] = [];
    coord = await startCoordinator(settings, {
      logger: pino({ level: 'silent' }),
      onRound: (_record, detail) => {
        for (const r of detail.rejected) if (r.reason.startsWith('replay: ')) replayRejections.push(r.peerId);
      },
    });
    const failed: unknown[] = [];
    coord.run.finished.catch((e) => failed.push(e));
    honest = startNodePeer({ url: coord.url, token: 'replay', logger: pino({ level: 'silent' }) });
    let first: Float32Array | undefined;
    const replayer = await startPoisonPeer(coord.url, 'replay', (grads) => {
      first ??= grads.slice();
      return first.slice();
    });
    bad = replayer.trainer;

    const badId = replayer.id;
    await waitFor('the bad peer to be kicked', () => (coord!.run.status().peers.some((p) => p.id === badId) ? undefined : true), 60_000);
    const at = coord.run.status().round;
    const after = await waitFor('5 more rounds after the kick', () => {
      const s = coord!.run.status();
      return s.round >= at + 5 ? s : undefined;
    }, 60_000);
    expect(failed).toEqual([]);
    expect(coord.run.state.weights.every(Number.isFinite)).toBe(true);
    expect(after.recentLoss.filter((r) => r.rejected > 0).length).toBeGreaterThanOrEqual(3);
    expect(replayRejections.length).toBeGreaterThanOrEqual(3);
    expect(new Set(replayRejections)).toEqual(new Set([badId]));
    expect(after.recentLoss.filter((r) => r.round > at).every((r) => r.peers === 1 && Number.isFinite(r.loss))).toBe(true);
    expect(after.peers.map((p) => p.id)).not.toContain(badId);
    expect(after.peers[0]!.rejected).toBe(0);
  });
});
