// The dense weights file: everything needed to rebuild a model, checked on load.
// Layout (little-endian):
//   0  magic: the 4 bytes "STLW"
//   4  u32 format version (FORMAT_VERSION)
//   8  u32 header length H in bytes
//  12  H bytes of UTF-8 JSON: { config, manifest, meta, numParams }
//      zero padding to a multiple of 4
//   .  numParams float32 weights
//   .  u32 CRC-32 of every byte before it
import { configFromFile, type StlmConfig } from './config.ts';
import { checkManifest, manifestSize, type ParamManifest } from './params.ts';
import { crc32 } from '../common/crc32.ts';

export const WEIGHTS_MAGIC = 'STLW';
export const WEIGHTS_FORMAT_VERSION = 1;

export interface WeightsFile {
  config: StlmConfig;
  weights: Float32Array;
  manifest: ParamManifest;
  /** Free-form JSON-able facts: step, loss, corpus, time... */
  meta: Record<string, unknown>;
}

const FIXED = 12;

export function encodeWeightsFile(f: { config: StlmConfig; weights: Float32Array; manifest: ParamManifest; meta?: Record<string, unknown> }): Uint8Array {
  checkManifest(f.manifest);
  const numParams = manifestSize(f.manifest);
  if (f.weights.length !== numParams) {
    throw new Error(`encodeWeightsFile: ${f.weights.length} weights but the manifest describes ${numParams}`);
  }
  const header = new TextEncoder().encode(
    JSON.stringify({ config: f.config, manifest: f.manifest, meta: f.meta ?? {}, numParams }),
  );
  const dataStart = align4(FIXED + header.length);
  const total = dataStart + numParams * 4 + 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = WEIGHTS_MAGIC.charCodeAt(i);
  view.setUint32(4, WEIGHTS_FORMAT_VERSION, true);
  view.setUint32(8, header.length, true);
  out.set(header, FIXED);
  for (let i = 0; i < numParams; i++) view.setFloat32(dataStart + i * 4, f.weights[i], true);
  view.setUint32(total - 4, crc32(out.subarray(0, total - 4)), true);
  return out;
}

export function decodeWeightsFile(bytes: Uint8Array): WeightsFile {
  if (!(bytes instanceof Uint8Array)) throw new Error('weights file: expected bytes (Uint8Array)');
  if (bytes.length < FIXED + 4) throw new Error(`weights file: truncated (${bytes.length} bytes)`);
  const magic = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]);
  if (magic !== WEIGHTS_MAGIC) throw new Error(`weights file: bad magic "${magic}", not an STLM weights file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(4, true);
  if (version > WEIGHTS_FORMAT_VERSION) {
    throw new Error(`weights file: format version ${version} is newer than this program's ${WEIGHTS_FORMAT_VERSION}; upgrade`);
  }
  if (version < 1) throw new Error(`weights file: bad format version ${version}`);
  const headerLen = view.getUint32(8, true);
  if (FIXED + headerLen + 4 > bytes.length) throw new Error('weights file: truncated inside the header');
  let header: { config: StlmConfig; manifest: ParamManifest; meta: Record<string, unknown>; numParams: number };
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(FIXED, FIXED + headerLen)));
  } catch (e) {
    throw new Error(`weights file: header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = align4(FIXED + headerLen);
  const numParams = header.numParams;
  if (!Number.isInteger(numParams) || numParams < 0) throw new Error('weights file: bad parameter count in header');
  const total = dataStart + numParams * 4 + 4;
  if (bytes.length < total) throw new Error(`weights file: truncated (${bytes.length} of ${total} bytes)`);
  if (bytes.length > total) throw new Error(`weights file: ${bytes.length - total} unexpected bytes after the end`);
  const stored = view.getUint32(total - 4, true);
  if (crc32(bytes.subarray(0, total - 4)) !== stored) throw new Error('weights file: checksum mismatch, the file is corrupt');
  const config = configFromFile(header.config);
  checkManifest(header.manifest);
  if (manifestSize(header.manifest) !== numParams) throw new Error('weights file: manifest does not match parameter count');
  const weights = new Float32Array(numParams);
  for (let i = 0; i < numParams; i++) weights[i] = view.getFloat32(dataStart + i * 4, true);
  return { config, weights, manifest: header.manifest, meta: header.meta ?? {} };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
