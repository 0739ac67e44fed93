// Bits per byte that general-purpose compressors reach on held-out bytes when they have seen the training
// text first: (size(train + heldOut) - size(train)) * 8 / |heldOut|. The floor a language model must beat.
import zlib from 'node:zlib';

export interface CompressorBpb {
  gzip: number;
  brotli: number;
}

function gzipSize(b: Uint8Array): number {
  return zlib.gzipSync(b, { level: 9 }).length;
}

/** Brotli at quality 11 with the largest window it has (large-window mode, 2^30 bytes): all the training
 * text stays in reach, where gzip's 32 KiB window sees only its end. */
function brotliSize(b: Uint8Array): number {
  const c = zlib.constants;
  return zlib.brotliCompressSync(b, {
    params: {
      [c.BROTLI_PARAM_QUALITY]: 11,
      [c.BROTLI_PARAM_LARGE_WINDOW]: 1,
      [c.BROTLI_PARAM_LGWIN]: 30,
      [c.BROTLI_PARAM_SIZE_HINT]: b.length,
    },
  }).length;
}

export function compressorBpb(train: Uint8Array, heldOut: Uint8Array): CompressorBpb {
  const all = new Uint8Array(train.length + heldOut.length);
  all.set(train);
  all.set(heldOut, train.length);
  const bpb = (size: (b: Uint8Array) => number) => ((size(all) - size(train)) * 8) / heldOut.length;
  return { gzip: bpb(gzipSize), brotli: bpb(brotliSize) };
}
