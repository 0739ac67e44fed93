import { describe, expect, it } from 'vitest';
import { pack } from 'msgpackr';
import { DEFAULT_LIMITS } from './limits.ts';
import { decodeMessage, encodeMessage, isMessageOf, MessageType, PROTOCOL_VERSION, type Message } from './messages.ts';
import { ERROR_CODES } from './errors.ts';
import { sampleMessages } from './message-samples.ts';
import { codecByName } from './codecs/index.ts';

function roundTrip(msg: Message): Message {
  const r = decodeMessage(encodeMessage(msg));
  if (!r.ok) throw r.error;
  return r.message;
}

describe('messages', () => {
  it('has a sample for every message type and round-trips each one', () => {
    const samples = sampleMessages();
    expect(Object.keys(samples).sort()).toEqual(Object.values(MessageType).sort());
    for (const msg of Object.values(samples)) {
      const back = roundTrip(msg);
      expect(back).toEqual(msg);
      expect(isMessageOf(back, msg.type)).toBe(true);
    }
  });

  it('gives binary fields back as plain Uint8Array with the same bytes', () => {
    const back = roundTrip(sampleMessages()['model-state']);
    if (back.type !== 'model-state') throw new Error('wrong type');
    expect(back.weights.constructor).toBe(Uint8Array);
    expect(Array.from(new Float32Array(back.weights.slice().buffer))).toEqual([1, 2, 3]);
  });

  it('keeps earlier encodings intact after later ones', () => {
    const a = encodeMessage({ type: 'leave', reason: 'a' });
    const copy = a.slice();
    encodeMessage({ type: 'leave', reason: 'bbbbbbbbbbbbbbbbbbbbbbbbbb' });
    expect(a).toEqual(copy);
  });

  it('still accepts the fields nobody read any more (assignment.deadlineMs, result.steps), and drops them', () => {
    const samples = sampleMessages();
    for (const [msg, field] of [[{ ...samples.assignment, deadlineMs: 5000 }, 'deadlineMs'], [{ ...samples.result, steps: 1 }, 'steps']] as const) {
      const r = decodeMessage(pack(msg));
      expect(r.ok).toBe(true);
      if (r.ok) expect(field in r.message).toBe(false);
    }
  });

  it('carries the protocol version', () => {
    expect(PROTOCOL_VERSION).toBe(1);
  });

  it('rejects garbage, unknown types and bad fields with typed errors', () => {
    const cases: Array<[Uint8Array, string]> = [
      [new Uint8Array(0), 'MALFORMED'],
      [new Uint8Array([0xc1]), 'MALFORMED'],
      [pack([1, 2, 3]), 'MALFORMED'],
      [pack({ type: 'nope' }), 'INVALID'],
      [pack({ type: 'ready', version: -1 }), 'INVALID'],
      [pack({ type: 'ready', version: 1.5 }), 'INVALID'],
      [pack({ type: 'heartbeat', sentAt: 'now' }), 'INVALID'],
      [pack({ type: 'model-state', version: 1, round: 0, weights: new Uint8Array(3) }), 'INVALID'],
      [pack({ type: 'model-state', version: 1, round: 0, encoding: 'delta', weights: new Uint8Array(3) }), 'INVALID'],
      [pack({ type: 'join', protocolVersion: 1, token: 't', kind: 'toaster', backend: 'wasm' }), 'INVALID'],
      [pack({ type: 'error', code: 'ERR_TOKEN', message: 'y'.repeat(5000) }), 'INVALID'],
      [pack({ type: 'error', code: 'ERR_FROM_THE_FUTURE', message: 'y' }), 'INVALID'],
    ];
    for (const [bytes, code] of cases) {
      const r = decodeMessage(bytes);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code, bytes.toString()).toBe(code);
    }
  });

  it('enforces the configurable limits', () => {
    const s = sampleMessages();
    const big = encodeMessage(s['model-state']);
    expect(decodeMessage(big, { maxMessageBytes: big.byteLength - 1 })).toMatchObject({ ok: false, error: { code: 'TOO_LARGE' } });
    expect(decodeMessage(big, { expectedParams: 4 })).toMatchObject({ ok: false, error: { code: 'LENGTH_MISMATCH' } });
    expect(decodeMessage(big, { expectedParams: 3 }).ok).toBe(true);
    const result = encodeMessage(s.result);
    expect(decodeMessage(result, { expectedParams: 5 })).toMatchObject({ ok: false, error: { code: 'LENGTH_MISMATCH' } });
    expect(decodeMessage(result, { expectedParams: 4 }).ok).toBe(true);
    const asg = encodeMessage(s.assignment);
    expect(decodeMessage(asg, { maxExampleBytes: 4 })).toMatchObject({ ok: false, error: { code: 'TOO_LARGE' } });
    expect(decodeMessage(asg, { maxExamplesPerAssignment: 1 })).toMatchObject({ ok: false, error: { code: 'TOO_LARGE' } });
    const bigSignal = pack({ type: 'signal', data: { sdp: 'x'.repeat(DEFAULT_LIMITS.maxSignalBytes) } });
    expect(decodeMessage(bigSignal)).toMatchObject({ ok: false, error: { code: 'TOO_LARGE' } });
    expect(() => encodeMessage({ type: 'signal', data: { sdp: 'x'.repeat(DEFAULT_LIMITS.maxSignalBytes) } })).toThrow(/TOO_LARGE/);
  });

  it('bounds the batch ids of a result by what an assignment may hold', () => {
    const s = sampleMessages();
    const many = pack({ ...s.result, batchIds: Array.from({ length: 100_000 }, (_, i) => i) });
    expect(decodeMessage(many)).toMatchObject({ ok: false, error: { code: 'TOO_LARGE' } });
    const most = pack({ ...s.result, batchIds: Array.from({ length: DEFAULT_LIMITS.maxBatchesPerAssignment }, (_, i) => i) });
    expect(decodeMessage(most).ok).toBe(true);
  });

  it('carries every ErrorCode in an error message, and only those', () => {
    for (const code of ERROR_CODES) expect(roundTrip({ type: 'error', code, message: 'm', fatal: false })).toMatchObject({ code });
    // An older or newer sender's code is an invalid message to us (the receiver drops or refuses it), never a crash.
    expect(() => encodeMessage({ type: 'error', code: 'ERR_FROM_THE_FUTURE' as 'ERR_TOKEN', message: 'm' })).toThrow(/INVALID/);
  });

  it('refuses to encode an invalid message', () => {
    expect(() => encodeMessage({ type: 'ready', version: -3 })).toThrow(/INVALID/);
    expect(() => encodeMessage({ type: 'assignment', round: 0, version: 0, lr: Number.NaN, localSteps: 1, roundPeers: 1, batches: [] })).toThrow(/INVALID/);
  });

  it('accepts a NaN loss (nothing scored) but not a corrupt gradient header when the length is checked', () => {
    const msg = { ...sampleMessages().result, loss: Number.NaN } as Message;
    const back = roundTrip(msg);
    expect(back.type === 'result' && Number.isNaN(back.loss)).toBe(true);
    const bad = { ...sampleMessages().result, gradient: new Uint8Array([1, 2, 3]) } as Message;
    expect(decodeMessage(encodeMessage(bad), { expectedParams: 4 })).toMatchObject({ ok: false, error: { code: 'BAD_CODEC' } });
    expect(codecByName('fp32').decode((sampleMessages().result as { gradient: Uint8Array }).gradient, 4)).toHaveLength(4);
  });
});
