// Feeds random and mutated bytes to every decoder (messages, frames, codec payloads): nothing may throw,
// every failure must be a ProtocolError with a known code.
import { describe, expect, it } from 'vitest';
import { pack } from 'msgpackr';
import { decodeMessage, encodeMessage } from './messages.ts';
import { PROTOCOL_ERROR_CODES, ProtocolError, type ProtocolErrorCode } from './errors.ts';
import { buildFrame, frameCount, Reassembler } from './framing.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { sampleMessages } from './message-samples.ts';
import { CODEC_NAMES, codecByName, decodeGradient } from './codecs/index.ts';
import { gaussianVector } from './codecs/conformance.ts';

const CODES = new Set<ProtocolErrorCode>(PROTOCOL_ERROR_CODES);

function rng(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 4294967296) * n);
  };
}

/** A random mutation: bit flips, byte overwrites, truncation, extension, splices of another input. */
function mutate(src: Uint8Array, r: (n: number) => number, other: Uint8Array): Uint8Array {
  let b: Uint8Array = src.slice();
  const ops = 1 + r(4);
  for (let k = 0; k < ops; k++) {
    switch (r(6)) {
      case 0: if (b.length) b[r(b.length)]! ^= 1 << r(8); break;
      case 1: if (b.length) b[r(b.length)] = r(256); break;
      case 2: b = b.slice(0, r(b.length + 1)); break;
      case 3: b = concat(b, Uint8Array.from({ length: 1 + r(16) }, () => r(256))); break;
      case 4: { const at = r(b.length + 1); b = concat(b.subarray(0, at), other.subarray(r(other.length + 1)), b.subarray(at)); break; }
      default: if (b.length) b[r(b.length)] = [0x00, 0xff, 0x7f, 0x80, 0xc1, 0xdd, 0xdf, 0xc6][r(8)]!; break;
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function expectTyped(err: unknown): void {
  expect(err).toBeInstanceOf(ProtocolError);
  expect(CODES.has((err as ProtocolError).code)).toBe(true);
}

describe('fuzz', () => {
  it('decodeMessage survives 6,000 random and mutated messages', () => {
    const r = rng(1);
    const seeds = Object.values(sampleMessages()).map((m) => encodeMessage(m));
    seeds.push(pack({ type: 'join', nested: { a: [1, 2, { b: new Uint8Array(3) }] } }), pack([[[[[[[[[]]]]]]]]]));
    let failures = 0;
    for (let i = 0; i < 6000; i++) {
      const input = i % 5 === 0
        ? new Uint8Array(Array.from({ length: r(64) }, () => r(256)))
        : mutate(seeds[r(seeds.length)]!, r, seeds[r(seeds.length)]!);
      const res = decodeMessage(input);
      if (!res.ok) {
        failures++;
        expectTyped(res.error);
      }
    }
    expect(failures).toBeGreaterThan(3000);
  });

  it('the frame reassembler survives 3,000 random and mutated frames with bounded memory', () => {
    const r = rng(2);
    const limits = { ...DEFAULT_LIMITS, maxPartialMessages: 4, maxReassemblyBytes: 1 << 20 };
    const re = new Reassembler(limits);
    const msg = new Uint8Array(200_000).map((_, i) => i * 7);
    const frames = Array.from({ length: frameCount(msg.length) }, (_, i) => buildFrame(msg, 77, i));
    frames.push(buildFrame(new Uint8Array(0), 1, 0), buildFrame(new Uint8Array([1]), 2, 0));
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const input = i % 4 === 0
        ? new Uint8Array(Array.from({ length: r(100) }, () => r(256)))
        : mutate(frames[r(frames.length)]!, r, frames[r(frames.length)]!);
      const res = re.push(input, i); // a throw fails the test
      if (res.error) {
        errors++;
        expectTyped(res.error);
      }
      expect(re.partialCount).toBeLessThanOrEqual(limits.maxPartialMessages);
      expect(re.bufferedBytes).toBeLessThanOrEqual(limits.maxReassemblyBytes);
      if (i % 500 === 0) for (const e of re.expire(i + DEFAULT_LIMITS.partialTimeoutMs)) expectTyped(e);
    }
    expect(errors).toBeGreaterThan(1000);
  });

  it('decodeGradient survives 2,000 mutated payloads of every codec', () => {
    const r = rng(3);
    const payloads = CODEC_NAMES.map((n) => codecByName(n).encode(gaussianVector(300, 4)));
    let failures = 0;
    for (let i = 0; i < 2000; i++) {
      const input = mutate(payloads[r(payloads.length)]!, r, payloads[r(payloads.length)]!);
      const res = decodeGradient(input, i % 2 ? 300 : undefined);
      if (!res.ok) {
        failures++;
        expectTyped(res.error);
      } else {
        expect(res.vector.every((v) => Number.isFinite(v))).toBe(true);
      }
    }
    expect(failures).toBeGreaterThan(1500);
  });
});
