import { describe, expect, it } from 'vitest';
import { crc32 } from '../common/crc32.ts';
import { EnvelopeError, decodeEnvelope, encodeEnvelope, type EnvelopeErrorCode, type EnvelopeFormat } from './envelope.ts';

const PADDED: EnvelopeFormat = { magic: 'TSTP', version: 2, name: 'test file', what: 'a test file', align: 4 };
const PACKED: EnvelopeFormat = { ...PADDED, magic: 'TSTQ', align: 1 };
const sized = { payloadLength: (h: unknown) => (h as { n: number }).n };

function encode(format: EnvelopeFormat, payload: number[], header: unknown = { n: payload.length }): Uint8Array {
  return encodeEnvelope(format, JSON.stringify(header), payload.length, (p) => p.set(payload));
}

/** Rewrites the trailing CRC, so an edit is judged on its content. */
function resealed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

function refusal(f: () => unknown): { code: EnvelopeErrorCode; message: string } {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EnvelopeError);
    return { code: (e as EnvelopeError).code, message: (e as Error).message };
  }
  throw new Error('expected a refusal');
}

describe('envelope', () => {
  it('lays out magic, version, header length, header, padding, payload and CRC', () => {
    const bytes = encode(PADDED, [9, 8, 7], { n: 3 }); // header {"n":3}: 7 bytes, payload at 20
    expect(bytes.length).toBe(12 + 7 + 1 + 3 + 4);
    expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('TSTP');
    const view = new DataView(bytes.buffer);
    expect(view.getUint32(4, true)).toBe(2);
    expect(view.getUint32(8, true)).toBe(7);
    expect(new TextDecoder().decode(bytes.subarray(12, 19))).toBe('{"n":3}');
    expect([...bytes.subarray(19, 23)]).toEqual([0, 9, 8, 7]);
    expect(view.getUint32(23, true)).toBe(crc32(bytes.subarray(0, 23)));
    // Packed: the payload follows the header at once.
    expect([...encode(PACKED, [9, 8, 7], { n: 3 }).subarray(19, 22)]).toEqual([9, 8, 7]);
  });

  it('round-trips header and payload, at any offset in a larger buffer, empty payload included', () => {
    for (const format of [PADDED, PACKED]) {
      for (const payload of [[], [1], [1, 2, 3, 4, 5]]) {
        const header = { n: payload.length, text: 'día ✓' };
        const bytes = encode(format, payload, header);
        const shifted = new Uint8Array(bytes.length + 3);
        shifted.set(bytes, 1);
        for (const b of [bytes, shifted.subarray(1, 1 + bytes.length)]) {
          for (const opts of [sized, {}]) {
            const e = decodeEnvelope(format, b, opts);
            expect(e.version).toBe(2);
            expect(e.header).toEqual(header);
            expect([...e.payload]).toEqual(payload);
            expect(e.view.byteLength).toBe(payload.length);
            if (payload.length) expect(e.view.getUint8(0)).toBe(payload[0]);
          }
        }
      }
    }
  });

  it('passes the reviver to JSON.parse', () => {
    const seen: string[] = [];
    decodeEnvelope(PADDED, encode(PADDED, [], { n: 0, a: { b: 1 } }), { reviver: (k, v) => (seen.push(k), v) });
    expect(seen).toEqual(['n', 'b', 'a', '']);
  });

  it('refuses what is not bytes, too short, foreign or of a version it does not read', () => {
    const bytes = encode(PADDED, [1, 2]);
    expect(refusal(() => decodeEnvelope(PADDED, [1, 2] as unknown as Uint8Array))).toMatchObject({ code: 'NOT_BYTES' });
    expect(refusal(() => decodeEnvelope(PADDED, bytes.subarray(0, 15)))).toEqual({ code: 'TRUNCATED', message: 'test file: truncated (15 bytes)' });
    expect(refusal(() => decodeEnvelope(PACKED, bytes))).toEqual({ code: 'BAD_MAGIC', message: 'test file: bad magic "TSTP", not a test file' });
    for (const [version, message] of [
      [3, 'test file: format version 3 is newer than this program reads (2); upgrade stlm-swarm to load it'],
      [0, 'test file: bad format version 0'],
    ] as const) {
      const other = bytes.slice();
      new DataView(other.buffer).setUint32(4, version, true);
      expect(refusal(() => decodeEnvelope(PADDED, resealed(other), sized))).toEqual({ code: 'BAD_VERSION', message });
    }
    const older = bytes.slice();
    new DataView(older.buffer).setUint32(4, 1, true);
    expect(decodeEnvelope(PADDED, resealed(older), sized).version).toBe(1);
  });

  it('with a stated payload length: truncated, trailing bytes, bad header, then the CRC', () => {
    const bytes = encode(PACKED, [1, 2, 3, 4]);
    expect(refusal(() => decodeEnvelope(PACKED, bytes.subarray(0, bytes.length - 1), sized)).message).toMatch(/truncated \(26 of 27 bytes\)/);
    expect(refusal(() => decodeEnvelope(PACKED, new Uint8Array([...bytes, 0]), sized))).toMatchObject({ code: 'TRAILING_BYTES' });
    expect(refusal(() => decodeEnvelope(PACKED, bytes.subarray(0, 18), sized)).message).toMatch(/truncated inside the header/);
    const flipped = bytes.slice();
    flipped[bytes.length - 6] ^= 1;
    expect(refusal(() => decodeEnvelope(PACKED, flipped, sized))).toEqual({ code: 'CHECKSUM', message: 'test file: checksum mismatch, the file is corrupt' });
    const notJson = encodeEnvelope(PACKED, '{"n":', 0, () => {});
    expect(refusal(() => decodeEnvelope(PACKED, notJson, sized))).toMatchObject({ code: 'BAD_HEADER' });
    const notUtf8 = bytes.slice();
    notUtf8[13] = 0xff;
    expect(refusal(() => decodeEnvelope(PACKED, resealed(notUtf8), sized)).message).toMatch(/header is not valid JSON/);
    expect(refusal(() => decodeEnvelope(PACKED, bytes, { payloadLength: () => -1 }))).toMatchObject({ code: 'BAD_HEADER' });
    expect(refusal(() => decodeEnvelope(PACKED, bytes, { payloadLength: () => Number.NaN }))).toMatchObject({ code: 'BAD_HEADER' });
    // The format's own refusal of its header passes through as it is.
    expect(() => decodeEnvelope(PACKED, bytes, { payloadLength: () => { throw new Error('test file: no n'); } })).toThrow(/^test file: no n$/);
  });

  it('with the payload running to the CRC: the CRC first, so a short file is a checksum mismatch', () => {
    const bytes = encode(PADDED, [1, 2, 3, 4, 5, 6, 7, 8]);
    expect(refusal(() => decodeEnvelope(PADDED, bytes.subarray(0, bytes.length - 4)))).toEqual({
      code: 'CHECKSUM', message: 'test file: checksum mismatch (truncated or corrupt)',
    });
    const badVersion = bytes.slice();
    new DataView(badVersion.buffer).setUint32(4, 9, true);
    expect(refusal(() => decodeEnvelope(PADDED, badVersion)).code).toBe('CHECKSUM');
    expect(refusal(() => decodeEnvelope(PADDED, resealed(badVersion))).code).toBe('BAD_VERSION');
  });
});
