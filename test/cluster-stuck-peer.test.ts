// A peer that stays connected but stops answering (stuck, or its tab frozen) must not stall the run: its
// round waits only until the deadline, it gets no new work until it is heard from again, and the liveness
// sweep drops it. Coordinator and the honest peer in this process, real WebRTC over loopback.
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import SimplePeer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import { io as ioClient } from 'socket.io-client';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadSettings } from '../coordinator/settings/settings.ts';
import { startCoordinator, type RunningCoordinator } from '../coordinator/http/server.ts';
import type { RoundDetail } from '../coordinator/rounds/detail.ts';
import { startNodePeer, type NodePeerHandle } from '../peer/node/node-peer.ts';
import { connectToCoordinator, type IoLike } from '../peer/core/connect.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-stuck-'));
const logger = pino({ level: process.env.STUCK_LOG ?? 'warn' });
let coord: RunningCoordinator | undefined;
let honest: NodePeerHandle | undefined;

afterAll(async () => {
  honest?.stop();
  await coord?.close();
  rmSync(runDir, { recursive: true, force: true });
});

describe('a stuck peer', () => {
  it('costs one deadline, then gets no work and is dropped by the liveness sweep', async () => {
    const settings = loadSettings({
      overrides: {
        port: 0, host: '127.0.0.1', preset: 'tiny', codec: 'int8', batchSize: 4, evalEvery: 0, checkpointEvery: 0,
        runDir, token: 'stuck', heartbeatTimeoutMs: 4_000,
        deadline: { minMs: 1_500, defaultMs: 1_500, maxMs: 3_000 },
      },
    });
    const rounds: Array<{ at: number; detail: RoundDetail }> = [];
    coord = await startCoordinator(settings, { logger, onRound: (_r, detail) => rounds.push({ at: Date.now(), detail }) });
    honest = startNodePeer({ url: coord.url, token: 'stuck', logger });
    while (rounds.length < 3) await new Promise((r) => setTimeout(r, 50));

    // The mute peer: joins properly and acknowledges models until its first assignment, then freezes (a tab
    // frozen mid-round): no result, no ack, no heartbeat.
    const mute = await connectToCoordinator({
      url: coord.url, token: 'stuck', peerKind: 'node', backend: 'mute', io: ioClient as unknown as IoLike,
      SimplePeer, wrtc: wrtc as unknown as SimplePeer.Options['wrtc'],
    });
    const assignedToMute: number[] = [];
    mute.transport.onMessage((m) => {
      if (m.type === 'model-state' && assignedToMute.length === 0) {
        void mute.transport.send({ type: 'ready', version: m.version, backend: 'mute' });
      }
      if (m.type === 'assignment') assignedToMute.push(m.round);
    });
    const reason = await mute.closed;
    expect(reason).toMatch(/^ERR_HEARTBEAT_TIMEOUT/);
    // It was given work exactly once: after missing that deadline it got nothing more.
    expect(assignedToMute).toHaveLength(1);
    const stuckIndex = rounds.findIndex((r) => r.detail.assigned.length === 2);
    const stuckRound = rounds[stuckIndex];
    expect(stuckRound).toBeDefined();
    expect(rounds.filter((r) => r.detail.assigned.length === 2)).toHaveLength(1);
    // That round waited for the deadline (not for ever), took the honest result, and requeued the mute batch.
    expect(stuckRound!.detail.waitMs).toBeGreaterThanOrEqual(1_400);
    expect(stuckRound!.detail.waitMs).toBeLessThan(3_500);
    expect(stuckRound!.detail.accepted).toHaveLength(1);
    // Rounds kept going meanwhile at the honest peer's pace.
    expect(rounds.length - stuckIndex).toBeGreaterThan(5);
    const s = coord.run.status();
    expect(s.peers.map((p) => p.backend)).toEqual(['wasm']);
    expect(s.data.requeuedBatches + s.data.outstandingBatches).toBeGreaterThanOrEqual(1);
  });
});
