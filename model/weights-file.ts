// The dense weights file: everything needed to rebuild a model, checked on load.
// Layout (little-endian; the frame is envelope.ts's, with the payload 4-byte aligned):
//   0  magic: the 4 bytes "STLW"
//   4  u32 format version (FORMAT_VERSION)
//   8  u32 header length H in bytes
//  12  H bytes of UTF-8 JSON: { config, manifest, meta, numParams }
//      zero padding to a multiple of 4
//   .  numParams float32 weights
//   .  u32 CRC-32 of every byte before it
import { configFromFile, type StlmConfig } from './config.ts';
import { checkManifest, manifestSize, type ParamManifest } from './params.ts';
import { decodeEnvelope, encodeEnvelope, type EnvelopeFormat } from './envelope.ts';

export const WEIGHTS_MAGIC = 'STLW';
export const WEIGHTS_FORMAT_VERSION = 1;

const FORMAT: EnvelopeFormat = { magic: WEIGHTS_MAGIC, version: WEIGHTS_FORMAT_VERSION, name: 'weights file', what: 'an STLM weights file', align: 4 };

export interface WeightsFile {
  config: StlmConfig;
  weights: Float32Array;
  manifest: ParamManifest;
  /** Free-form JSON-able facts: step, loss, corpus, time... */
  meta: Record<string, unknown>;
}

interface WeightsHeader {
  config: StlmConfig;
  manifest: ParamManifest;
  meta: Record<string, unknown>;
  numParams: number;
}

export function encodeWeightsFile(f: { config: StlmConfig; weights: Float32Array; manifest: ParamManifest; meta?: Record<string, unknown> }): Uint8Array {
  checkManifest(f.manifest);
  const numParams = manifestSize(f.manifest);
  if (f.weights.length !== numParams) {
    throw new Error(`encodeWeightsFile: ${f.weights.length} weights but the manifest describes ${numParams}`);
  }
  const header = JSON.stringify({ config: f.config, manifest: f.manifest, meta: f.meta ?? {}, numParams });
  return encodeEnvelope(FORMAT, header, numParams * 4, (_payload, view) => {
    for (let i = 0; i < numParams; i++) view.setFloat32(i * 4, f.weights[i], true);
  });
}

export function decodeWeightsFile(bytes: Uint8Array): WeightsFile {
  const { header, view } = decodeEnvelope(FORMAT, bytes, {
    payloadLength: (h) => {
      const numParams = (h as Partial<WeightsHeader> | null)?.numParams;
      if (!Number.isInteger(numParams) || numParams! < 0) throw new Error('weights file: bad parameter count in header');
      return numParams! * 4;
    },
  });
  const h = header as WeightsHeader;
  const numParams = h.numParams;
  const config = configFromFile(h.config);
  checkManifest(h.manifest);
  if (manifestSize(h.manifest) !== numParams) throw new Error('weights file: manifest does not match parameter count');
  const weights = new Float32Array(numParams);
  for (let i = 0; i < numParams; i++) weights[i] = view.getFloat32(i * 4, true);
  return { config, weights, manifest: h.manifest, meta: h.meta ?? {} };
}
