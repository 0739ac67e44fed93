// The codec registry: every name in CODEC_NAMES has exactly one codec with a unique wire id, checked when
// this module loads; receivers decode by the id in the payload and need no configuration.
import type { GradientCodec } from './codec.ts';
import { CODEC_IDS, CODEC_NAMES, isCodecName, type CodecName } from './names.ts';
import { readCodecHeader } from './header.ts';
import { createFp32Codec } from './fp32.ts';
import { createFp16Codec } from './fp16.ts';
import { createInt8Codec } from './int8.ts';
import { createTopKCodec } from './topk.ts';
import { ProtocolError, toProtocolError } from '../errors.ts';

export type { GradientCodec } from './codec.ts';
export { CODEC_NAMES, CODEC_IDS, isCodecName, type CodecName } from './names.ts';
export { ErrorFeedback } from './error-feedback.ts';
export { createFp32Codec } from './fp32.ts';
export { createFp16Codec } from './fp16.ts';
export { createInt8Codec, INT8_DEFAULT_BLOCK_LOG2 } from './int8.ts';
export { createTopKCodec, TOPK_DEFAULT_FRACTION, selectTopK } from './topk.ts';
export { readCodecHeader, CODEC_HEADER_BYTES, MAX_VECTOR_LENGTH } from './header.ts';

function createCodec(name: CodecName): GradientCodec {
  switch (name) {
    case 'fp32':
      return createFp32Codec();
    case 'fp16':
      return createFp16Codec();
    case 'int8':
      return createInt8Codec();
    case 'topk':
      return createTopKCodec();
    default: {
      const never: never = name;
      throw new Error(`no codec for ${String(never)}`);
    }
  }
}

const BY_NAME = new Map<CodecName, GradientCodec>();
const BY_ID = new Map<number, GradientCodec>();
for (const name of CODEC_NAMES) {
  const codec = createCodec(name);
  if (codec.name !== name || codec.id !== CODEC_IDS[name]) throw new Error(`codec registry: ${name} reports ${codec.name}/${codec.id}`);
  if (BY_ID.has(codec.id)) throw new Error(`codec registry: id ${codec.id} used twice`);
  BY_NAME.set(name, codec);
  BY_ID.set(codec.id, codec);
}

/** The registered codec for a name (top-k with its default fraction). Throws ProtocolError('BAD_CODEC'). */
export function codecByName(name: string): GradientCodec {
  if (!isCodecName(name)) throw new ProtocolError('BAD_CODEC', `unknown codec "${name}"; known: ${CODEC_NAMES.join(', ')}`);
  return BY_NAME.get(name)!;
}

export type DecodeGradientResult = { ok: true; vector: Float32Array; codec: CodecName } | { ok: false; error: ProtocolError };

/** Decodes any codec's payload by the id it carries. Never throws. */
export function decodeGradient(payload: Uint8Array, expectedLength?: number): DecodeGradientResult {
  try {
    const h = readCodecHeader(payload);
    if (!h.ok) return h;
    const codec = BY_ID.get(h.codecId);
    if (!codec) return { ok: false, error: new ProtocolError('BAD_CODEC', `unknown codec id ${h.codecId}`) };
    return { ok: true, vector: codec.decode(payload, expectedLength), codec: codec.name };
  } catch (e) {
    return { ok: false, error: toProtocolError(e, 'BAD_CODEC') };
  }
}
