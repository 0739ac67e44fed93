// Bits per byte that general-purpose compressors reach on held-out bytes when they have seen the training
// text first: (size(train + heldOut) - size(train)) * 8 / |heldOut|. The floor a language model must beat:
// bench:learning prints it, and the coordinator draws it on the dashboard's validation chart.
import zlib from 'node:zlib';
import { promisify } from 'node:util';

export interface CompressorBpb {
  gzip: number;
  brotli: number;
}

/** Brotli at quality 11 with the largest window it has (large-window mode, 2^30 bytes): all the training
 * text stays in reach, where gzip's 32 KiB window sees only its end. */
function brotliOptions(size: number): zlib.BrotliOptions {
  const c = zlib.constants;
  return {
    params: {
      [c.BROTLI_PARAM_QUALITY]: 11,
      [c.BROTLI_PARAM_LARGE_WINDOW]: 1,
      [c.BROTLI_PARAM_LGWIN]: 30,
      [c.BROTLI_PARAM_SIZE_HINT]: size,
    },
  };
}
const GZIP_OPTIONS: zlib.ZlibOptions = { level: 9 };

function joined(train: Uint8Array, heldOut: Uint8Array): Uint8Array {
  const all = new Uint8Array(train.length + heldOut.length);
  all.set(train);
  all.set(heldOut, train.length);
  return all;
}

function check(train: Uint8Array, heldOut: Uint8Array): void {
  if (heldOut.length === 0) throw new Error('compressorBpb: the held-out text is empty');
  if (train.length === 0) throw new Error('compressorBpb: the training text is empty');
}

export function compressorBpb(train: Uint8Array, heldOut: Uint8Array): CompressorBpb {
  check(train, heldOut);
  const all = joined(train, heldOut);
  const bpb = (size: (b: Uint8Array) => number) => ((size(all) - size(train)) * 8) / heldOut.length;
  return {
    gzip: bpb((b) => zlib.gzipSync(b, GZIP_OPTIONS).length),
    brotli: bpb((b) => zlib.brotliCompressSync(b, brotliOptions(b.length)).length),
  };
}

const gzipAsync = promisify(zlib.gzip) as (b: Uint8Array, o: zlib.ZlibOptions) => Promise<Buffer>;
const brotliAsync = promisify(zlib.brotliCompress) as (b: Uint8Array, o: zlib.BrotliOptions) => Promise<Buffer>;

/**
 * The same figures computed on libuv's thread pool (zlib's asynchronous calls): a coordinator starts it in
 * the background and its event loop keeps serving peers while brotli works (seconds per MiB at quality 11).
 */
export async function compressorBpbAsync(train: Uint8Array, heldOut: Uint8Array): Promise<CompressorBpb> {
  check(train, heldOut);
  const all = joined(train, heldOut);
  const bpb = async (size: (b: Uint8Array) => Promise<number>) => {
    const [a, t] = await Promise.all([size(all), size(train)]);
    return ((a - t) * 8) / heldOut.length;
  };
  const [gzip, brotli] = await Promise.all([
    bpb(async (b) => (await gzipAsync(b, GZIP_OPTIONS)).length),
    bpb(async (b) => (await brotliAsync(b, brotliOptions(b.length))).length),
  ]);
  return { gzip, brotli };
}
