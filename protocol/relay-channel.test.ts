// The socket relay under the framed transport, over a real socket.io server and client on loopback: what the
// data channel delivers, it delivers (0 B to 20 MB, in order, both ways), its buffered amount is the bytes
// the other side has not acknowledged, so a receiver that never acknowledges stalls its sender at the
// high-water mark instead of growing the sender's memory, and the relay closes with its socket.
import { afterEach, describe, expect, it } from 'vitest';
import { FramedTransport } from './transport.ts';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from './framing.ts';
import { RELAY_FRAME_EVENT } from './relay-channel.ts';
import { connectSocketPair, relayOf } from '../test/support/relay-pair.ts';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function socketPair() {
  const pair = await connectSocketPair();
  cleanup.push(() => pair.close());
  return pair;
}

function pattern(n: number, salt: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 131 + salt + (i >>> 10)) & 0xff;
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(a, b) === 0;
}

describe('FramedTransport over the socket relay (socket.io on loopback)', () => {
  it('delivers 0 B, 1 B, one frame and 20 MB intact and in order, both ways, with bounded buffering', async () => {
    const { server, client } = await socketPair();
    const serverChannel = relayOf(server);
    const a = new FramedTransport(serverChannel);
    const b = new FramedTransport(relayOf(client));
    cleanup.push(() => a.close(), () => b.close());
    const sizes = [0, 1, MAX_FRAME_BYTES - FRAME_HEADER_BYTES, 20 * 1024 * 1024];
    const got: Uint8Array[] = [];
    const all = new Promise<void>((resolve) => b.onMessage((m) => got.push(m) === sizes.length && resolve()));
    let peak = 0;
    const probe = setInterval(() => (peak = Math.max(peak, serverChannel.bufferedAmount)), 2);
    await Promise.all(sizes.map((n, i) => a.send(pattern(n, i))));
    await all;
    clearInterval(probe);
    expect(got.map((m) => m.byteLength)).toEqual(sizes);
    got.forEach((m, i) => expect(sameBytes(m, pattern(sizes[i]!, i))).toBe(true));
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(1024 * 1024 + MAX_FRAME_BYTES);

    const back = new Promise<Uint8Array>((resolve) => a.onMessage(resolve));
    await b.send(pattern(300_000, 9));
    expect(sameBytes(await back, pattern(300_000, 9))).toBe(true);
  });

  it('a receiver that never acknowledges stalls the sender at the high-water mark', async () => {
    const { server, client } = await socketPair();
    let received = 0;
    // A misbehaving client: takes the frames, never calls their acknowledgement.
    client.on(RELAY_FRAME_EVENT, (data: ArrayBuffer) => (received += data.byteLength));
    const channel = relayOf(server);
    const a = new FramedTransport(channel);
    cleanup.push(() => a.close());
    let sent = false;
    void a.send(pattern(8 * 1024 * 1024, 1)).then(() => (sent = true), () => {});
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sent).toBe(false);
    expect(received).toBeGreaterThan(0);
    expect(channel.bufferedAmount).toBeLessThanOrEqual(1024 * 1024 + MAX_FRAME_BYTES);
    expect(received).toBeLessThanOrEqual(1024 * 1024 + MAX_FRAME_BYTES);
  });

  it('closes with its socket, and refuses to send after', async () => {
    const { server, client } = await socketPair();
    const channel = relayOf(server);
    const a = new FramedTransport(channel);
    const closed = new Promise<void>((r) => a.onClose(r));
    client.disconnect();
    await closed;
    expect(a.isClosed).toBe(true);
    await expect(a.send(new Uint8Array(10))).rejects.toThrow(/CLOSED/);
    expect(() => channel.send(new Uint8Array(1))).toThrow(/closed/);
  });

  it('turns a non-binary frame into an empty one, which the transport reports without closing', async () => {
    const { server, client } = await socketPair();
    const b = new FramedTransport(relayOf(server));
    cleanup.push(() => b.close());
    const errors: string[] = [];
    const firstError = new Promise<void>((r) => b.onError((e) => errors.push(e.code) === 1 && r()));
    client.emit(RELAY_FRAME_EVENT, 'not a frame', () => {});
    await firstError;
    expect(b.isClosed).toBe(false);
    const a = new FramedTransport(relayOf(client));
    cleanup.push(() => a.close());
    const got = new Promise<Uint8Array>((r) => b.onMessage(r));
    await a.send(pattern(1000, 3));
    expect(sameBytes(await got, pattern(1000, 3))).toBe(true);
  });
});
