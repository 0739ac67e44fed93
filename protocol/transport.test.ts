import { afterEach, describe, expect, it } from 'vitest';
import { FramedTransport, MessageTransport } from './transport.ts';
import { createMemoryChannelPair } from './memory-channel.ts';
import { FRAME_HEADER_BYTES, MAX_FRAME_BYTES, buildFrame } from './framing.ts';
import { sampleMessages } from './message-samples.ts';
import type { Message } from './messages.ts';
import type { ProtocolError } from './errors.ts';

const CAP = MAX_FRAME_BYTES - FRAME_HEADER_BYTES;
const open: { close(): void }[] = [];
afterEach(() => {
  for (const t of open.splice(0)) t.close();
});

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >>> 8)) & 0xff;
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function framedPair(opts: ConstructorParameters<typeof FramedTransport>[1] = {}) {
  const [ca, cb] = createMemoryChannelPair({ bytesPerTick: 512 * 1024 });
  const a = new FramedTransport(ca, opts);
  const b = new FramedTransport(cb, opts);
  open.push(a, b);
  return { a, b, ca, cb };
}

describe('FramedTransport over an in-memory channel', () => {
  it('delivers 0 B, 1 B, exactly one frame, one frame + 1, and 20 MB intact and in order', async () => {
    const { a, b, ca } = framedPair();
    const sizes = [0, 1, CAP, CAP + 1, 20 * 1024 * 1024];
    const got: Uint8Array[] = [];
    const all = new Promise<void>((resolve) => b.onMessage((m) => got.push(m) === sizes.length && resolve()));
    await Promise.all(sizes.map((n) => a.send(pattern(n))));
    await all;
    expect(got.map((m) => m.byteLength)).toEqual(sizes);
    // Compare by hand: vitest's deep equality on a 20 MB array enumerates 20M keys.
    for (const m of got) expect(sameBytes(m, pattern(m.byteLength))).toBe(true);
    // Backpressure: the channel never held much more than the high-water mark plus one frame.
    expect(ca.peakBuffered).toBeLessThanOrEqual(1024 * 1024 + MAX_FRAME_BYTES);
  });

  it('reports a broken frame without closing, then keeps working', async () => {
    const { a, b, ca } = framedPair();
    const errors: ProtocolError[] = [];
    b.onError((e) => errors.push(e));
    const got: Uint8Array[] = [];
    b.onMessage((m) => got.push(m));
    const bad = buildFrame(pattern(10), 1, 0);
    bad[30]! ^= 1;
    ca.send(bad);
    await a.send(pattern(5));
    await new Promise((r) => setTimeout(r, 20));
    expect(errors.map((e) => e.code)).toEqual(['CHECKSUM']);
    expect(got).toEqual([pattern(5)]);
  });

  it('survives a throwing message handler and reports it', async () => {
    const { a, b } = framedPair();
    const errors: ProtocolError[] = [];
    b.onError((e) => errors.push(e));
    let calls = 0;
    b.onMessage(() => {
      calls++;
      throw new Error('boom');
    });
    await a.send(pattern(3 * CAP));
    await a.send(pattern(1));
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toBe(2);
    expect(errors.map((e) => e.message)).toEqual(['INVALID: message handler threw: boom', 'INVALID: message handler threw: boom']);
  });

  it('drops a stalled partial message after partialTimeoutMs', async () => {
    const { b, ca } = framedPair({ limits: { partialTimeoutMs: 100, partialMinBytesPerSec: Infinity } });
    const errors: ProtocolError[] = [];
    b.onError((e) => errors.push(e));
    ca.send(buildFrame(pattern(3 * CAP), 42, 0));
    await new Promise((r) => setTimeout(r, 300));
    expect(errors.map((e) => e.code)).toEqual(['TIMEOUT']);
  });

  it('rejects sends over the limit and after close', async () => {
    const { a } = framedPair({ limits: { maxMessageBytes: 1000 } });
    await expect(a.send(new Uint8Array(1001))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    const pending = a.send(new Uint8Array(10));
    a.close();
    await pending.catch(() => {});
    await expect(a.send(new Uint8Array(1))).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('fails queued sends when the channel closes mid-message', async () => {
    const [ca, cb] = createMemoryChannelPair({ bytesPerTick: 64 * 1024 });
    const a = new FramedTransport(ca);
    open.push(a, new FramedTransport(cb));
    const big = a.send(new Uint8Array(8 * 1024 * 1024));
    setTimeout(() => cb.close(), 5);
    await expect(big).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('MessageTransport', () => {
  it('moves every message type and reports invalid ones', async () => {
    const [ca, cb] = createMemoryChannelPair();
    const a = new MessageTransport(ca);
    const b = new MessageTransport(cb);
    open.push(a, b);
    const samples = Object.values(sampleMessages());
    const got: Message[] = [];
    const invalid: ProtocolError[] = [];
    b.onInvalid((e) => invalid.push(e));
    const done = new Promise<void>((r) => b.onMessage((m) => got.push(m) === samples.length && r()));
    a.framed.send(new Uint8Array([1, 2, 3])); // framed fine, but no msgpack map
    for (const m of samples) void a.send(m);
    await done;
    expect(got).toEqual(samples);
    expect(invalid.map((e) => e.code)).toEqual(['MALFORMED']);
    expect(() => a.send({ type: 'ready', version: -1 })).toThrow(/INVALID/);
  });
});
