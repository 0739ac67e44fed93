// The gradient codec names and their wire ids. Kept apart from the codecs so messages.ts can validate a
// codec name without importing every codec.

export const CODEC_NAMES = ['fp32', 'fp16', 'int8', 'topk'] as const;
export type CodecName = (typeof CODEC_NAMES)[number];

/** The id each codec writes into its payload header; never reuse an id for a different format. */
export const CODEC_IDS: Readonly<Record<CodecName, number>> = Object.freeze({ fp32: 1, fp16: 2, int8: 3, topk: 4 });

export function isCodecName(name: string): name is CodecName {
  return (CODEC_NAMES as readonly string[]).includes(name);
}
