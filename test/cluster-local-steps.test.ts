// Local-steps mode (DiLoCo) end to end: two Node peers (in this process, real WebRTC) each run H = 4 inner
// AdamW steps per round and send old − new weights; the coordinator's outer Nesterov step must lower
// validation bpb, and the bytes on the wire per trained byte must drop by about H against sync mode.
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../coordinator/settings/settings.ts';
import { startCoordinator, type RunningCoordinator } from '../coordinator/http/server.ts';
import type { RoundDetail } from '../coordinator/rounds/detail.ts';
import type { RoundRecord } from '../protocol/status.ts';
import { startNodePeer, type NodePeerHandle } from '../peer/node/node-peer.ts';

const logger = pino({ level: 'warn' });
const dirs: string[] = [];
const peers: NodePeerHandle[] = [];
const coordinators: RunningCoordinator[] = [];

afterAll(async () => {
  for (const p of peers) p.stop();
  for (const c of coordinators) await c.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function run(localSteps: number, rounds: number) {
  const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-local-'));
  dirs.push(runDir);
  const settings = loadSettings({
    overrides: {
      port: 0, host: '127.0.0.1', preset: 'tiny', codec: 'int8', batchSize: 4, minPeers: 2, maxRounds: rounds,
      localSteps, evalEvery: rounds, checkpointEvery: 0, runDir, token: 'local', seed: 5, lr: 0.01,
      deadline: { minMs: 60_000 },
    },
  });
  const seen: Array<{ record: RoundRecord; detail: RoundDetail }> = [];
  const coord = await startCoordinator(settings, { logger, onRound: (record, detail) => seen.push({ record, detail }) });
  coordinators.push(coord);
  const mine = [startNodePeer({ url: coord.url, token: 'local', logger }), startNodePeer({ url: coord.url, token: 'local', logger })];
  peers.push(...mine);
  await coord.run.finished;
  for (const p of mine) p.stop();
  const status = coord.run.status();
  await coord.close();
  const trained = seen.reduce((s, r) => s + r.record.bytes, 0);
  const wire = seen.reduce((s, r) => s + r.detail.wireBytesIn + r.detail.wireBytesOut, 0);
  return { status, seen, wirePerByte: wire / trained };
}

describe('local-steps mode', () => {
  it('lowers validation bpb with outer Nesterov steps and cuts wire bytes per trained byte by about H', async () => {
    const local = await run(4, 8);
    expect(local.status.mode).toBe('local-steps');
    const [first, last] = [local.status.validation[0]!.bpb, local.status.validation.at(-1)!.bpb];
    expect(last).toBeLessThan(first - 0.5);
    // Every round: two peers, four batches each.
    for (const { detail } of local.seen) {
      expect(detail.accepted).toHaveLength(2);
      for (const a of detail.accepted) expect(a.batchIds).toHaveLength(4);
    }
    const sync = await run(1, 4);
    expect(sync.status.mode).toBe('sync');
    const ratio = sync.wirePerByte / local.wirePerByte;
    expect(ratio).toBeGreaterThan(3);
    expect(ratio).toBeLessThan(5);
  });
});
