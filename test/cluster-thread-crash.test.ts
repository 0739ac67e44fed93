// A Node peer on two worker threads loses one in the middle of a run (a coordinator and the peer in this
// process, real WebRTC over loopback, real worker threads): the death is logged, the step in flight is
// finished by the other worker, the run does not stall, and /api/status then shows the peer on one thread.
import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../coordinator/settings/settings.ts';
import { startCoordinator, type RunningCoordinator } from '../coordinator/http/server.ts';
import { startNodePeer, type NodePeerHandle } from '../peer/node/node-peer.ts';
import { nodeTrainWorkerPort, startNodeTrainWorker } from '../peer/node/node-train-worker.ts';
import { waitFor } from './cluster/processes.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-thread-crash-'));
let coord: RunningCoordinator | undefined;
let peer: NodePeerHandle | undefined;

afterAll(async () => {
  peer?.stop();
  await coord?.close();
  rmSync(runDir, { recursive: true, force: true });
});

describe('a threaded Node peer whose worker dies', () => {
  it('goes on training with the other worker', async () => {
    const settings = await loadSettings({
      overrides: {
        port: 0, host: '127.0.0.1', preset: 'tiny', batchSize: 8, minPeers: 1, evalEvery: 0, checkpointEvery: 0,
        runDir, token: 'crash', seed: 2, deadline: { minMs: 30_000 },
      },
    });
    coord = await startCoordinator(settings, { logger: pino({ level: 'warn' }) });
    const workers: Worker[] = [];
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    peer = startNodePeer({
      url: coord.url, token: 'crash', logger, threads: 2,
      spawnTrainWorker: () => {
        const w = startNodeTrainWorker();
        workers.push(w);
        return nodeTrainWorkerPort(w);
      },
    });
    const status = () => coord!.run.status();
    const before = await waitFor('3 rounds on two threads', () => {
      const p = status().peers[0];
      return p && p.roundsContributed >= 3 && p.threads === 2 ? p : undefined;
    }, 60_000);
    expect(workers).toHaveLength(2);

    await workers[0]!.terminate();
    const after = await waitFor('5 more rounds', () => {
      const p = status().peers[0];
      return p && p.roundsContributed >= before.roundsContributed + 5 ? p : undefined;
    }, 60_000);
    expect(after.id).toBe(before.id); // the same peer: it did not reconnect
    expect(after.threads).toBe(1);
    expect(after.rejected).toBe(0);
    expect(lines.join('')).toMatch(/training worker 0 died \(exited with code 1\); training goes on with 1/);
  });
});
