// The one unit a person reads loss in: bits per byte. Training reports mean cross-entropy in nats per byte
// (what the model computes); validation, the compressors and the benches speak bits per byte.

/** Nats per byte to bits per byte: divide by ln 2. */
export function bitsPerByteFromNats(natsPerByte: number): number {
  return natsPerByte / Math.LN2;
}
