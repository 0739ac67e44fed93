// Consolidation inside a running swarm: with --prune-schedule gradual:2 and a checkpoint every 2 rounds, the
// sparsity rises to the target over two checkpoints, every checkpoint is consolidated (size, sparsity and
// bpb against the dense model in its metadata and /api/status), the pruned master weights stay exactly 0
// through later rounds, and a resumed coordinator continues with the same masks.
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../coordinator/settings/settings.ts';
import { startCoordinator, type RunningCoordinator } from '../coordinator/http/server.ts';
import { CheckpointStore } from '../coordinator/checkpoints/store.ts';
import { startNodePeer, type NodePeerHandle } from '../peer/node/node-peer.ts';
import { loadConsolidated } from '../model/compress/consolidate.ts';
import { readFileSync } from 'node:fs';

const logger = pino({ level: 'warn' });
const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-consolidation-'));
const peers: NodePeerHandle[] = [];
const coordinators: RunningCoordinator[] = [];

afterAll(async () => {
  for (const p of peers) p.stop();
  for (const c of coordinators) await c.close();
  rmSync(runDir, { recursive: true, force: true });
});

async function train(maxRounds: number, resume: boolean) {
  const settings = loadSettings({
    overrides: {
      port: 0, host: '127.0.0.1', preset: 'tiny', codec: 'int8', batchSize: 4, maxRounds, evalEvery: 0,
      checkpointEvery: 2, keepCheckpoints: 20, runDir, resume, token: 'prune', seed: 3, lr: 0.01,
      pruneSchedule: 'gradual:2', sparsity: 0.5, validationExamples: 16, deadline: { minMs: 60_000 },
    },
  });
  const coord = await startCoordinator(settings, { logger });
  coordinators.push(coord);
  const peer = startNodePeer({ url: coord.url, token: 'prune', logger });
  peers.push(peer);
  await coord.run.finished;
  peer.stop();
  const status = coord.run.status();
  const weights = coord.run.state.weights.slice();
  await coord.close();
  return { ...status, weights };
}

/** Indices of the exact zeros in each pruned tensor of a checkpoint's master weights. */
async function zerosOf(round: number, tensors: string[]): Promise<Map<string, Set<number>>> {
  const ck = await new CheckpointStore(runDir).load(path.join(runDir, `ckpt-${String(round).padStart(8, '0')}`));
  const out = new Map<string, Set<number>>();
  for (const name of tensors) {
    const e = ck.manifest.find((m) => m.name === name)!;
    const zeros = new Set<number>();
    for (let i = 0; i < e.size; i++) if (ck.state.weights[e.offset + i] === 0) zeros.add(i);
    out.set(name, zeros);
  }
  return out;
}

function expectSubset(a: Map<string, Set<number>>, b: Map<string, Set<number>>) {
  for (const [name, zeros] of a) for (const i of zeros) expect(b.get(name)!.has(i), `${name}[${i}] revived`).toBe(true);
}

describe('consolidation in the round loop', () => {
  it('prunes gradually at checkpoints, keeps masked weights at 0 through training and resume', async () => {
    const status = await train(8, false);
    expect(status.round).toBe(8);
    expect(status.consolidation).toMatchObject({ atCheckpoints: true, sparsity: 0.5, currentSparsity: 0.5, schedule: 'gradual:2', lastError: null });
    expect(status.checkpoints.map((c) => c.round)).toEqual([2, 4, 6, 8]);
    // Consolidation runs beside the rounds and skips a checkpoint when a newer one is already waiting, so not
    // every checkpoint need have figures; the last one always does.
    const consolidated = status.checkpoints.filter((c) => c.consolidation).map((c) => [c.round, c.consolidation as Record<string, number>] as const);
    expect(consolidated.at(-1)![0]).toBe(8);
    for (const [round, c] of consolidated) {
      // Zhu & Gupta cubic over 2 steps: 0.5 * (1 - (1 - 1/2)^3) = 0.4375 at the first checkpoint, then the target.
      expect(c.sparsity, `round ${round}`).toBeCloseTo(round === 2 ? 0.4375 : 0.5, 6);
      expect(c.prunableSparsity, `round ${round}`).toBeGreaterThan(0.4);
      expect(c.sizeRatio).toBeLessThan(0.25);
      expect(Number.isFinite(c.bpbDense) && Number.isFinite(c.bpbConsolidated)).toBe(true);
      // The masks are already on the master weights, so only int8 rounding separates the two.
      expect(Math.abs(c.bpbConsolidated - c.bpbDense)).toBeLessThan(0.1);
    }
    expect(status.consolidation.last).toMatchObject({ round: 8 });

    // The consolidated file loads and holds the checkpoint's round; its metadata is in state.json too.
    const ck8 = path.join(runDir, 'ckpt-00000008');
    expect(existsSync(path.join(ck8, 'model.stlmq'))).toBe(true);
    expect(loadConsolidated(new Uint8Array(readFileSync(path.join(ck8, 'model.stlmq')))).weights.length).toBe(status.numParams);
    expect(JSON.parse(readFileSync(path.join(ck8, 'state.json'), 'utf8')).consolidation).toMatchObject({ round: 8, sparsity: 0.5 });

    const pruned = Object.keys((consolidated.at(-1)![1] as unknown as { sparsityPerTensor: Record<string, number> }).sparsityPerTensor);
    expect(pruned.length).toBeGreaterThan(2);
    const manifest = (await new CheckpointStore(runDir).load(ck8)).manifest;
    const sizeOf = (name: string) => manifest.find((m) => m.name === name)!.size;
    // The schedule's steps are on the master weights themselves: 43.75% zeros at round 2, 50% from round 4.
    const z2 = await zerosOf(2, pruned);
    const z4 = await zerosOf(4, pruned);
    const z8 = await zerosOf(8, pruned);
    for (const name of pruned) {
      expect(Math.abs(z2.get(name)!.size / sizeOf(name) - 0.4375), name).toBeLessThan(0.01);
      expect(z4.get(name)!.size / sizeOf(name), name).toBeGreaterThanOrEqual(0.5 - 1 / sizeOf(name));
    }
    expectSubset(z2, z4);
    // Four more rounds of training after the schedule ended: no pruned weight came back.
    expectSubset(z4, z8);

    // A restarted coordinator picks the masks up from the checkpoint and keeps them, also on the live weights
    // of round 11, which no checkpoint touched.
    const resumed = await train(11, true);
    expect(resumed.round).toBe(11);
    expect(resumed.consolidation.currentSparsity).toBe(0.5);
    expectSubset(z8, await zerosOf(10, pruned));
    const ck = await new CheckpointStore(runDir).load(ck8);
    const live = new Map<string, Set<number>>();
    for (const name of pruned) {
      const e = ck.manifest.find((m) => m.name === name)!;
      live.set(name, new Set([...z8.get(name)!].filter((i) => resumed.weights[e.offset + i] === 0)));
    }
    expectSubset(z8, live);
  });
});
