// The flat parameter layout every part of the system shares: all weights (or gradients, or optimizer
// moments) of a model in one Float32Array, described by a manifest of named, shaped slices.

export interface ParamEntry {
  /** Dotted name, e.g. `core.0.attn.wq`; ends in `.gain` for norm gains (no weight decay). */
  name: string;
  shape: number[];
  /** Start index in the flat array. */
  offset: number;
  /** Product of the shape. */
  size: number;
}

export type ParamManifest = ParamEntry[];

/** Lays out named shapes one after another. */
export function buildManifest(shapes: Array<{ name: string; shape: number[] }>): ParamManifest {
  const manifest: ParamManifest = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const { name, shape } of shapes) {
    if (seen.has(name)) throw new Error(`duplicate parameter name ${name}`);
    seen.add(name);
    const size = shape.reduce((a, b) => a * b, 1);
    manifest.push({ name, shape: [...shape], offset, size });
    offset += size;
  }
  return manifest;
}

/** Total number of floats the manifest describes. */
export function manifestSize(manifest: ParamManifest): number {
  const last = manifest[manifest.length - 1];
  return last ? last.offset + last.size : 0;
}

/** Checks that a manifest is contiguous and consistent; throws on the first problem. */
export function checkManifest(manifest: ParamManifest): void {
  let offset = 0;
  for (const e of manifest) {
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset !== offset || e.size !== size) {
      throw new Error(`manifest entry ${e.name}: offset ${e.offset}/size ${e.size}, expected ${offset}/${size}`);
    }
    offset += size;
  }
}

/** True when two manifests describe the same layout (names, shapes, offsets). */
export function sameManifest(a: ParamManifest, b: ParamManifest): boolean {
  return (
    a.length === b.length &&
    a.every((e, i) => e.name === b[i].name && e.offset === b[i].offset && e.shape.join() === b[i].shape.join())
  );
}

/** Decay mask for AdamW: 1 where weight decay applies, 0 on norm gains and biases. */
export function decayMaskFromManifest(manifest: ParamManifest): Uint8Array {
  const mask = new Uint8Array(manifestSize(manifest));
  for (const e of manifest) {
    const noDecay = e.name.endsWith('.gain') || e.name.endsWith('.bias');
    if (!noDecay) mask.fill(1, e.offset, e.offset + e.size);
  }
  return mask;
}
