// Framing over a real WebRTC data channel: simple-peer + @roamhq/wrtc on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FramedTransport, MessageTransport, fromRTCDataChannel, fromSimplePeer, type RTCDataChannelLike } from './transport.ts';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './framing.ts';
import { connectWrtcPair, type PeerPair } from '../test/support/wrtc-pair.ts';
import type { Message } from './messages.ts';
import type { ProtocolError } from './errors.ts';

let pair: PeerPair;
let a: FramedTransport;
let b: FramedTransport;

beforeAll(async () => {
  pair = await connectWrtcPair();
  a = new FramedTransport(fromSimplePeer(pair.a));
  b = new FramedTransport(fromSimplePeer(pair.b));
});

afterAll(() => {
  a?.close();
  b?.close();
  pair?.destroy();
});

function pattern(n: number, salt: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 131 + salt + (i >>> 10)) & 0xff;
  return out;
}

describe('FramedTransport over simple-peer + @roamhq/wrtc (loopback)', () => {
  it('delivers 0 B, 1 B, exactly one frame and 20 MB intact, in order, with bounded buffering', async () => {
    const sizes = [0, 1, MAX_FRAME_BYTES - FRAME_HEADER_BYTES, 20 * 1024 * 1024];
    const got: Uint8Array[] = [];
    const errors: ProtocolError[] = [];
    b.onError((e) => errors.push(e));
    const all = new Promise<void>((resolve) => b.onMessage((m) => got.push(m) === sizes.length && resolve()));
    let peakBuffered = 0;
    const channel = (pair.a as unknown as { _channel: { bufferedAmount: number } })._channel;
    const probe = setInterval(() => (peakBuffered = Math.max(peakBuffered, channel.bufferedAmount)), 5);
    await Promise.all(sizes.map((n, i) => a.send(pattern(n, i))));
    await all;
    clearInterval(probe);
    expect(errors).toEqual([]);
    expect(got.map((m) => m.byteLength)).toEqual(sizes);
    got.forEach((m, i) => expect(Buffer.compare(m, pattern(sizes[i]!, i))).toBe(0));
    expect(peakBuffered).toBeLessThanOrEqual(1024 * 1024 + MAX_FRAME_BYTES);
  });

  it('carries validated messages both ways and reports raw garbage as invalid', async () => {
    const ma = new MessageTransport(a);
    const mb = new MessageTransport(b);
    const invalid: ProtocolError[] = [];
    mb.onInvalid((e) => invalid.push(e));
    const got = new Promise<Message>((resolve) => mb.onMessage(resolve));
    pair.a.send(new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 1, 2, 3]));
    await ma.send({ type: 'heartbeat', sentAt: 123 });
    expect(await got).toEqual({ type: 'heartbeat', sentAt: 123 });
    expect(invalid.map((e) => e.code)).toEqual(['MALFORMED']);
    const back = new Promise<Message>((resolve) => ma.onMessage(resolve));
    await mb.send({ type: 'leave', reason: 'bye' });
    expect(await back).toEqual({ type: 'leave', reason: 'bye' });
  });
});

describe('fromRTCDataChannel over a bare @roamhq/wrtc RTCDataChannel', () => {
  it('moves a 3 MB message and a small one, in order', async () => {
    const p = await connectWrtcPair();
    const channelOf = (peer: unknown) => (peer as { _channel: RTCDataChannelLike })._channel;
    const x = new FramedTransport(fromRTCDataChannel(channelOf(p.a)));
    const y = new FramedTransport(fromRTCDataChannel(channelOf(p.b)));
    try {
      const got: Uint8Array[] = [];
      const both = new Promise<void>((resolve) => y.onMessage((m) => got.push(m) === 2 && resolve()));
      await Promise.all([x.send(pattern(3_000_000, 5)), x.send(pattern(10, 6))]);
      await both;
      expect(Buffer.compare(got[0]!, pattern(3_000_000, 5))).toBe(0);
      expect(Buffer.compare(got[1]!, pattern(10, 6))).toBe(0);
    } finally {
      x.close();
      y.close();
      p.destroy();
    }
  });
});
