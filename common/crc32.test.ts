import { describe, expect, it } from 'vitest';
import { crc32 } from './crc32.ts';

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

describe('crc32', () => {
  it('matches the standard check value and chains', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    const a = bytes(1000, 3);
    expect(crc32(a.subarray(300), crc32(a.subarray(0, 300)))).toBe(crc32(a));
  });

  it('agrees with a bit-by-bit reference at every alignment and length', () => {
    const ref = (b: Uint8Array) => {
      let c = 0xffffffff;
      for (const x of b) {
        c ^= x;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      }
      return ~c >>> 0;
    };
    const a = bytes(200, 5);
    for (let off = 0; off < 8; off++) for (const len of [0, 1, 7, 8, 9, 16, 63, 150]) {
      const s = a.subarray(off, off + len);
      expect(crc32(s)).toBe(ref(s));
    }
  });

  it('gives what the table-driven CRC in model/crc32.ts gave (weights, optimizer and consolidated files)', () => {
    // The byte-at-a-time table CRC that model/ used before the two implementations became one.
    const table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
    const old = (b: Uint8Array, crc = 0) => {
      let c = (crc ^ 0xffffffff) >>> 0;
      for (let i = 0; i < b.length; i++) c = table[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
      return (c ^ 0xffffffff) >>> 0;
    };
    const a = bytes(70_000, 9);
    for (const [off, len] of [[0, 70_000], [1, 4099], [3, 65_536], [4, 12]] as const) {
      const s = a.subarray(off, off + len);
      expect(crc32(s)).toBe(old(s));
      expect(crc32(s, 0x12345678)).toBe(old(s, 0x12345678));
    }
  });
});
