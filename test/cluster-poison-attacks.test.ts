// Bad peers against the default aggregation, end to end: a coordinator, two honest Node peers and one bad peer
// built on the project's own client (test/cluster/poison-peer.ts), real WebRTC over loopback, the default rule
// (coordinate-wise median) and codec (int8). A peer sending its gradient negated and 10x is refused by the norm
// bound and dropped; a peer sending noise of the honest norm (which no norm check can tell) is outvoted by the
// median: the run goes on, the master weights stay finite, and validation falls as it does without it. How far
// each attack moves validation bpb against an honest run is measured in-process by test/poison-rules.test.ts and
// bench:poison (within 2%); FLT_MAX: test/cluster-poison.test.ts; replays: test/cluster-replay.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../coordinator/settings/settings.ts';
import { startCoordinator, type RunningCoordinator } from '../coordinator/http/server.ts';
import { startNodePeer, type NodePeerHandle } from '../peer/node/node-peer.ts';
import { waitFor } from './cluster/processes.ts';
import { noiseOfNorm, startPoisonPeer, type PoisonPeer } from './cluster/poison-peer.ts';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function swarmWithBadPeer(
  poison: (grads: Float32Array) => Float32Array,
  o: { evalEvery: number; minPeers: number; badJoinsAfterRounds?: number },
) {
  const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-attacks-'));
  cleanup.push(() => rmSync(runDir, { recursive: true, force: true }));
  const settings = await loadSettings({
    overrides: {
      port: 0, host: '127.0.0.1', preset: 'tiny', batchSize: 4, minPeers: o.minPeers, evalEvery: o.evalEvery, checkpointEvery: 0,
      runDir, token: 'attack', seed: 5, deadline: { minMs: 30_000 },
    },
  });
  expect(settings.aggregator).toBe('median');
  const coord: RunningCoordinator = await startCoordinator(settings, { logger: pino({ level: 'silent' }) });
  cleanup.push(() => coord.close());
  const failed: unknown[] = [];
  coord.run.finished.catch((e) => failed.push(e));
  const honest: NodePeerHandle[] = [0, 1].map(() => startNodePeer({ url: coord.url, token: 'attack', logger: pino({ level: 'silent' }) }));
  for (const h of honest) cleanup.push(() => h.stop());
  if (o.badJoinsAfterRounds) {
    const n = o.badJoinsAfterRounds;
    await waitFor(`the honest pair to train ${n} rounds`, () => (coord.run.status().round >= n ? true : undefined), 90_000);
  }
  const bad: PoisonPeer = await startPoisonPeer(coord.url, 'attack', poison);
  cleanup.push(() => bad.trainer.stop());
  return { coord, failed, bad };
}

describe('bad peers against the default aggregation (median), end to end', () => {
  it('negated 10x: refused by the norm bound, dropped; the run goes on with finite weights', async () => {
    // Two peers make a round, so the honest pair goes on once the bad peer is gone. The bad peer joins once the
    // honest pair has trained a few rounds: the norm bound then comes from their history. (In a round of one
    // honest and one bad peer before any history, the round's own median cannot tell which is which.)
    const { coord, failed, bad } = await swarmWithBadPeer((g) => g.map((x) => -10 * x), { evalEvery: 0, minPeers: 2, badJoinsAfterRounds: 4 });
    await waitFor('the bad peer to be dropped', () => (coord.run.status().peers.some((p) => p.id === bad.id) ? undefined : true), 90_000);
    const at = coord.run.status().round;
    const after = await waitFor('3 more rounds', () => (coord.run.status().round >= at + 3 ? coord.run.status() : undefined), 60_000);
    expect(failed).toEqual([]);
    expect(coord.run.state.weights.every(Number.isFinite)).toBe(true);
    expect(after.recentLoss.filter((r) => r.rejected > 0).length).toBeGreaterThanOrEqual(3);
    expect(after.peers.every((p) => p.rejected === 0)).toBe(true);
  });

  it('noise of the honest norm: outvoted by the median; validation falls', async () => {
    let calls = 0;
    // Every round waits for all three, so the noise is in every aggregate.
    const { coord, failed, bad } = await swarmWithBadPeer((g) => noiseOfNorm(g, ++calls), { evalEvery: 3, minPeers: 3 });
    const s = await waitFor('four validations', () => (coord.run.status().validation.length >= 4 ? coord.run.status() : undefined), 120_000);
    expect(failed).toEqual([]);
    expect(coord.run.state.weights.every(Number.isFinite)).toBe(true);
    expect(calls, 'the noise peer took part').toBeGreaterThanOrEqual(3);
    const first = s.validation[0]!.bpb;
    const last = s.validation.at(-1)!.bpb;
    expect(last, `validation ${first} -> ${last} with a noise peer (${bad.id})`).toBeLessThan(first - 0.5);
  });
});
