// End to end, real processes, real WebRTC: bad peers get their coded error; the coordinator stays up and
// the honest peer keeps training. Wrong token, wrong protocol version, garbage on the socket, malformed
// bytes on the data channel, NaN results.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io as ioClient } from 'socket.io-client';
import SimplePeer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage, type Message, type MessageOf } from '../protocol/messages.ts';
import { CODEC_IDS } from '../protocol/codecs/index.ts';
import { allocPayload, sealPayload, CODEC_HEADER_BYTES } from '../protocol/codecs/header.ts';
import { connectToCoordinator, type CoordinatorConnection, type IoLike } from '../peer/core/connect.ts';
import { killAll, startCoordinatorProcess, startPeerProcess, waitFor, type CoordinatorProc, type Proc } from './cluster/processes.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-refusals-'));
let coord: CoordinatorProc;
let honest: Proc;

beforeAll(async () => {
  coord = await startCoordinatorProcess([
    '--preset', 'tiny', '--run-dir', runDir, '--batch-size', '4', '--checkpoint-every', '0', '--eval-every', '0',
    '--codec', 'fp32', '--data-channel-timeout', '2000',
    // Every bad peer here shares the honest peer's address and token: no rejoin wait after a drop
    // (test/cluster-admission.test.ts tests that wait).
    '--misbehaviour-backoff', '0',
  ]);
  honest = startPeerProcess(coord.url, coord.token);
  await waitFor('the honest peer contributing', async () => ((await coord.status()).peers[0]?.roundsContributed ?? 0) >= 1 || undefined, 60_000, coord);
});

afterAll(async () => {
  await killAll();
  rmSync(runDir, { recursive: true, force: true });
});

/** Opens a raw socket.io connection and collects the decoded messages the coordinator sends it. */
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

function connectEvil(): Promise<CoordinatorConnection> {
  return connectToCoordinator({
    url: coord.url, token: coord.token, peerKind: 'node', backend: 'evil', io: ioClient as unknown as IoLike,
    SimplePeer, wrtc: wrtc as unknown as SimplePeer.Options['wrtc'],
  });
}

/** A well-formed fp32 payload (right header, right CRC) full of NaN: the codec refuses to encode one. */
function nanPayload(n: number): Uint8Array {
  const p = allocPayload(CODEC_IDS.fp32, 0, n, n * 4);
  new Float32Array(p.buffer, p.byteOffset + CODEC_HEADER_BYTES, n).fill(Number.NaN);
  return sealPayload(p);
}

async function expectHonestStillTraining(): Promise<void> {
  const before = (await coord.status()).peers.find((p) => p.backend !== 'evil')!.roundsContributed;
  await waitFor('the honest peer to keep contributing', async () => {
    const s = await coord.status();
    const p = s.peers.find((x) => x.backend !== 'evil');
    return p && p.roundsContributed >= before + 2 ? true : undefined;
  }, 60_000, coord);
  expect(honest.child.exitCode).toBeNull();
}

describe('refusals', () => {
  it('refuses a wrong token with ERR_TOKEN (the peer CLI exits with code 2)', async () => {
    const bad = startPeerProcess(coord.url, 'not-the-token');
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('ERR_TOKEN');
  });

  it('refuses a wrong protocol version with ERR_PROTOCOL_VERSION', async () => {
    const bad = startPeerProcess(coord.url, coord.token, ['--protocol-version', String(PROTOCOL_VERSION + 41)]);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toContain('ERR_PROTOCOL_VERSION');
  });

  it('answers garbage on the socket with an error and disconnects that socket only', async () => {
    const g1 = rawSocket(coord.url);
    g1.socket.emit('msg', new Uint8Array([0xc1, 0xff, 0x00, 0x13, 0x37]));
    await g1.disconnected;
    expect(g1.received.some((m) => m.type === 'error')).toBe(true);

    const g2 = rawSocket(coord.url);
    g2.socket.emit('hello', { not: 'a protocol message' });
    await g2.disconnected;
    expect(g2.received.find((m) => m.type === 'error')).toMatchObject({ code: 'ERR_BAD_MESSAGE' });

    const g3 = rawSocket(coord.url);
    g3.socket.emit('msg', encodeMessage({ type: 'heartbeat', sentAt: 1 } as Message));
    await g3.disconnected;
    expect(g3.received.find((m) => m.type === 'error')).toMatchObject({ code: 'ERR_NOT_JOINED' });
    await expectHonestStillTraining();
  });

  it('refuses a peer whose data channel never opens with ERR_DATA_CHANNEL_TIMEOUT', async () => {
    const g = rawSocket(coord.url);
    // A correct join, then silence: the coordinator's WebRTC offer is never answered.
    g.socket.emit('msg', encodeMessage({ type: 'join', protocolVersion: PROTOCOL_VERSION, token: coord.token, kind: 'node', backend: 'mute' }));
    const t0 = Date.now();
    await g.disconnected;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900);
    expect(g.received.find((m) => m.type === 'welcome')).toBeDefined();
    expect(g.received.find((m) => m.type === 'error')).toMatchObject({ code: 'ERR_DATA_CHANNEL_TIMEOUT' });
    expect((await coord.status()).peers.some((p) => p.backend === 'mute')).toBe(false);
  });

  it('rejects NaN results with ERR_RESULT_REJECTED, counts them, and drops a peer that keeps sending them', async () => {
    const numParams = (await coord.status()).numParams;
    const evil = await connectEvil();
    const errors: Array<MessageOf<'error'>> = [];
    evil.transport.onMessage((m) => {
      if (m.type === 'model-state') void evil.transport.send({ type: 'ready', version: m.version, backend: 'evil' });
      if (m.type === 'error') errors.push(m);
      if (m.type === 'assignment') {
        void evil.transport.send({
          type: 'result', round: m.round, version: m.version, batchIds: m.batches.map((b) => b.batchId), loss: 1, bytes: 100,
          gradient: nanPayload(numParams), computeMs: 1, encodeMs: 1,
        });
      }
    });
    const reason = await evil.closed;
    // Two non-fatal rejections over the data channel, then the fatal one on the socket.
    expect(errors.filter((e) => e.code === 'ERR_RESULT_REJECTED' && !e.fatal).length).toBeGreaterThanOrEqual(2);
    expect(reason).toMatch(/^ERR_RESULT_REJECTED: 3 results rejected in a row, last: undecodable gradient: NON_FINITE/);
    await expectHonestStillTraining();
  });

  it('drops a peer that puts bytes on the data channel that are no protocol frame', async () => {
    const evil = await connectEvil();
    evil.transport.onMessage((m) => {
      if (m.type === 'model-state') void evil.transport.send({ type: 'ready', version: m.version, backend: 'evil' });
    });
    await waitFor('the evil peer registered', async () => ((await coord.status()).peers.some((p) => p.backend === 'evil') ? true : undefined), 30_000, coord);
    evil.channel.send(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 1, 2, 3]));
    const reason = await evil.closed;
    expect(reason).toMatch(/^(MALFORMED|CHECKSUM|INVALID): .*data channel/);
    await waitFor('the evil peer gone', async () => ((await coord.status()).peers.every((p) => p.backend !== 'evil') ? true : undefined), 30_000, coord);
    await expectHonestStillTraining();
  });
});
