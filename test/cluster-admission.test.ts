// End to end, real processes, real WebRTC: admission control and bounded signaling on the coordinator, and
// the Node peer's side of it. A full coordinator refuses with ERR_FULL and the refused peer backs off and
// joins once a slot frees; a signaling flood ends that session with ERR_SIGNALING and its token waits
// (ERR_BACKOFF) whatever peer id it would get; join attempts past the per-address rate are refused before
// their token is compared (ERR_RATE_LIMITED); refusals are counted in /api/status and /metrics; a peer kicked
// right after each join waits longer each time; a peer refuses a model it cannot hold and stops.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import SimplePeer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage, type Message, type MessageOf } from '../protocol/messages.ts';
import { connectToCoordinator, ConnectError, type IoLike } from '../peer/core/connect.ts';
import { killAll, startCoordinatorProcess, startPeerProcess, waitFor, type CoordinatorProc } from './cluster/processes.ts';

const dirs: string[] = [];
const runDir = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'stlm-admission-'));
  dirs.push(d);
  return d;
};
const COMMON = ['--preset', 'tiny', '--batch-size', '4', '--checkpoint-every', '0', '--eval-every', '0', '--codec', 'fp32'];

afterAll(async () => {
  await killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function rawSocket(url: string) {
  const socket = ioClient(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  const received: Message[] = [];
  socket.on('msg', (d: Uint8Array) => {
    const r = decodeMessage(new Uint8Array(d));
    if (r.ok) received.push(r.message);
  });
  const disconnected = new Promise<void>((r) => socket.on('disconnect', () => r()));
  return { socket, received, disconnected };
}

describe('a full coordinator, a signaling flood, and the misbehaviour backoff', () => {
  let coord: CoordinatorProc;
  beforeAll(async () => {
    coord = await startCoordinatorProcess([...COMMON, '--run-dir', runDir(), '--max-peers', '1']);
  });

  it('refuses a join past --max-peers with ERR_FULL; the refused peer backs off and joins when a slot frees', async () => {
    const first = startPeerProcess(coord.url, coord.token);
    await waitFor('the first peer contributing', async () => ((await coord.status()).peers[0]?.roundsContributed ?? 0) >= 1 || undefined, 120_000, coord);
    const second = startPeerProcess(coord.url, coord.token);
    await waitFor('the second peer refused', () => (/ERR_FULL/.test(second.output()) ? true : undefined), 30_000, second);
    expect(second.output()).toMatch(/retrying in \d+ s/);
    const status = await coord.status();
    expect(status.admission).toMatchObject({ maxPeers: 1, peers: 1 });
    expect(status.admission!.refused.ERR_FULL).toBeGreaterThanOrEqual(1);
    expect(status.peers).toHaveLength(1);
    const metrics = await (await fetch(`${coord.url}/metrics`)).text();
    expect(Number(/stlm_joins_refused_total\{code="ERR_FULL"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/stlm_max_peers 1/);

    first.kill('SIGTERM');
    await first.exited;
    // ERR_FULL asks for 10 s; the second peer comes back by itself and trains.
    await waitFor('the second peer contributing', async () => ((await coord.status()).peers[0]?.roundsContributed ?? 0) >= 1 || undefined, 120_000, coord);
    expect(second.child.exitCode).toBeNull();
    second.kill('SIGTERM');
    await second.exited;
    await waitFor('the slot free', async () => ((await coord.status()).admission?.peers === 0 ? true : undefined), 30_000, coord);
  });

  it('drops a peer that floods signaling; the same token from that address then waits, whatever its new id', async () => {
    const g = rawSocket(coord.url);
    g.socket.emit('msg', encodeMessage({ type: 'join', protocolVersion: PROTOCOL_VERSION, token: coord.token, kind: 'node', backend: 'flood' }));
    await waitFor('the welcome', () => (g.received.some((m) => m.type === 'welcome') ? true : undefined), 10_000, coord);
    for (let i = 0; i < 200; i++) {
      const candidate = `candidate:${i} 1 udp 2122260223 127.0.0.1 ${10_000 + i} typ host generation 0`;
      g.socket.emit('msg', encodeMessage({ type: 'signal', data: { type: 'candidate', candidate: { candidate, sdpMLineIndex: 0, sdpMid: '0' } } }));
    }
    await g.disconnected;
    const err = g.received.find((m) => m.type === 'error');
    expect(err).toMatchObject({ code: 'ERR_SIGNALING', fatal: true, message: expect.stringMatching(/signal messages.*rejoin refused for \d+ s/) });
    expect((err as { retryAfterMs?: number }).retryAfterMs).toBeGreaterThan(0);

    // The project's own client, with the same token from the same address: refused before it gets an id.
    const rejoin = await connectToCoordinator({
      url: coord.url, token: coord.token, peerKind: 'node', backend: 'flood', io: ioClient as unknown as IoLike,
      SimplePeer, wrtc: wrtc as unknown as SimplePeer.Options['wrtc'],
    }).then(() => undefined, (e: unknown) => e);
    expect(rejoin).toBeInstanceOf(ConnectError);
    expect(rejoin).toMatchObject({ code: 'ERR_BACKOFF', retryAfterMs: expect.any(Number) });
    const status = await coord.status();
    expect(status.admission!.refused.ERR_BACKOFF).toBeGreaterThanOrEqual(1);
    expect(status.admission!.misbehaviourDrops).toBeGreaterThanOrEqual(1);
    expect(status.peers.some((p) => p.backend === 'flood')).toBe(false);
  });

  it('limits join attempts per address, wrong tokens included: token guessing is as slow as joining', async () => {
    // 40 attempts at once from one address, each with another wrong token.
    const answers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const g = rawSocket(coord.url);
        g.socket.emit('msg', encodeMessage({ type: 'join', protocolVersion: PROTOCOL_VERSION, token: `guess-${i}`, kind: 'node', backend: 'guess' }));
        await g.disconnected;
        return g.received.find((m): m is MessageOf<'error'> => m.type === 'error');
      }),
    );
    // 30 a minute from one address (a burst of 30): the rest are refused before their token is even compared.
    const tokenChecked = answers.filter((m) => m?.code === 'ERR_TOKEN').length;
    expect(tokenChecked).toBeLessThanOrEqual(32);
    const limited = answers.filter((m) => m?.code === 'ERR_RATE_LIMITED');
    expect(limited.length).toBe(40 - tokenChecked);
    expect(limited[0]).toMatchObject({ retryAfterMs: expect.any(Number), message: expect.stringMatching(/too many joins from/) });
    expect((await coord.status()).admission!.refused.ERR_RATE_LIMITED).toBeGreaterThanOrEqual(1);
  });
});

describe('the Node peer facing refusals', () => {
  let coord: CoordinatorProc;
  beforeAll(async () => {
    // Every peer is dropped as silent at the first liveness sweep (every 2 s) after it joins: no round starts.
    coord = await startCoordinatorProcess([...COMMON, '--run-dir', runDir(), '--heartbeat-timeout', '1', '--min-peers', '5']);
  });

  it('a peer kicked right after each join waits longer each time instead of rejoining at once', async () => {
    const peer = startPeerProcess(coord.url, coord.token);
    // The coordinator's log times each join. Before, a kicked peer rejoined after half a second, so its joins
    // came at the pace of the kicks (one every 4-5 s here, however long it went on).
    const joinTimes = await waitFor('seven joins', () => {
      const times = coord.output().split('\n').filter((l) => l.includes('peer joined; connecting WebRTC')).map((l) => (JSON.parse(l) as { time: number }).time);
      return times.length >= 7 ? times : undefined;
    }, 150_000, peer);
    const gaps = joinTimes.slice(1).map((t, i) => t - joinTimes[i]!);
    // The sixth wait is at least 8 s (a base of 16 s, jittered down to half at most), on top of the session.
    expect(gaps.at(-1)).toBeGreaterThanOrEqual(8_000);
    expect(gaps.at(-1)).toBeGreaterThan(2 * gaps[0]!);
    // The peer says how long it waits, and each wait is longer than the one before ([base/2, base), base doubling).
    const delays = [...peer.output().matchAll(/"retryInMs":(\d+)/g)].map((m) => Number(m[1]));
    expect(delays.length).toBeGreaterThanOrEqual(6);
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThan(delays[i - 1]!);
    expect(peer.output()).toMatch(/ERR_HEARTBEAT_TIMEOUT/);
    peer.kill();
  });

  it('a peer refuses a model larger than it can hold, says why, and stops (exit code 2)', async () => {
    const small = startPeerProcess(coord.url, coord.token, ['--max-model-mb', '1']);
    expect(await small.exited).toBe(2);
    expect(small.output()).toMatch(/ERR_MODEL_TOO_LARGE.*model has \d+ parameters, about \d+ MiB to train; this peer can give it 1 MiB/);
    expect(small.output()).toMatch(/retrying cannot help/);
  });
});
