// MaskSet: the keep masks of the pruned tensors, held so they can be re-applied to the live master weights
// after every optimizer step (AdamW's moments and weight decay would otherwise move pruned weights off 0).
import { manifestSize, type ParamManifest } from '../params.ts';
import { maskSparsity } from './prune.ts';

/** JSON-able form of a MaskSet (for checkpoints): per tensor, its keep mask packed 8 per byte, base64. */
export interface MaskSetState {
  numParams: number;
  masks: Array<{ name: string; size: number; bits: string }>;
}

export class MaskSet {
  readonly manifest: ParamManifest;
  private readonly masks: Map<string, Uint8Array>;
  /** Flat indices of every pruned weight, so apply() is one tight loop. */
  private readonly pruned: Uint32Array;

  constructor(manifest: ParamManifest, masks: Map<string, Uint8Array>) {
    this.manifest = manifest;
    this.masks = new Map();
    const byName = new Map(manifest.map((e) => [e.name, e]));
    const idx: number[] = [];
    for (const [name, keep] of masks) {
      const e = byName.get(name);
      if (!e) throw new Error(`MaskSet: no tensor named ${name} in the manifest`);
      if (keep.length !== e.size) throw new Error(`MaskSet: mask for ${name} has ${keep.length} entries, the tensor ${e.size}`);
      this.masks.set(name, keep.slice());
      for (let i = 0; i < keep.length; i++) if (keep[i] === 0) idx.push(e.offset + i);
    }
    this.pruned = Uint32Array.from(idx.sort((a, b) => a - b));
  }

  /** Sets every pruned weight of `weights` (the flat master weights) to exactly 0, in place. */
  apply(weights: Float32Array): void {
    if (weights.length !== manifestSize(this.manifest)) {
      throw new Error(`MaskSet.apply: ${weights.length} weights, the manifest describes ${manifestSize(this.manifest)}`);
    }
    const p = this.pruned;
    for (let i = 0; i < p.length; i++) weights[p[i]] = 0;
  }

  /** The keep mask of a tensor (a copy), or undefined when it is not pruned. */
  get(name: string): Uint8Array | undefined {
    return this.masks.get(name)?.slice();
  }

  /** The masks by tensor name (copies). */
  toMap(): Map<string, Uint8Array> {
    return new Map([...this.masks].map(([k, v]) => [k, v.slice()]));
  }

  get prunedCount(): number {
    return this.pruned.length;
  }

  sparsityPerTensor(): Record<string, number> {
    return Object.fromEntries([...this.masks].map(([name, keep]) => [name, maskSparsity(keep)]));
  }

  exportState(): MaskSetState {
    return {
      numParams: manifestSize(this.manifest),
      masks: [...this.masks].map(([name, keep]) => ({ name, size: keep.length, bits: toBase64(packBits(keep)) })),
    };
  }

  static importState(manifest: ParamManifest, s: MaskSetState): MaskSet {
    if (!s || !Array.isArray(s.masks)) throw new Error('MaskSet.importState: not a mask state');
    if (s.numParams !== manifestSize(manifest)) {
      throw new Error(`MaskSet.importState: state is for ${s.numParams} parameters, the model has ${manifestSize(manifest)}`);
    }
    const masks = new Map<string, Uint8Array>();
    for (const m of s.masks) {
      const packed = fromBase64(m.bits);
      if (packed.length !== Math.ceil(m.size / 8)) throw new Error(`MaskSet.importState: mask for ${m.name} is damaged`);
      masks.set(m.name, unpackBits(packed, m.size));
    }
    return new MaskSet(manifest, masks);
  }
}

/** 0/1 bytes -> bits, least significant bit first. */
export function packBits(keep: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(keep.length / 8));
  for (let i = 0; i < keep.length; i++) if (keep[i] !== 0) out[i >> 3] |= 1 << (i & 7);
  return out;
}

export function unpackBits(bits: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (bits[i >> 3] >> (i & 7)) & 1;
  return out;
}

// btoa/atob exist in browsers and in Node >= 16, so no Buffer is needed.
function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(s: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(s);
  } catch {
    throw new Error('MaskSet.importState: mask bits are not base64');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
