// The consolidated model file (".stlmq"): a pruned and quantized STLM, self-describing and checksummed.
// Specification: docs/consolidated-format.md. Layout (little-endian, no padding; the frame is envelope.ts's):
//   0   magic: the 4 bytes "STLQ"
//   4   u32 format version (CONSOLIDATED_FORMAT_VERSION)
//   8   u32 header length H
//   12  H bytes of UTF-8 JSON: { config, numParams, meta, dataLength, tensors: TensorRecord[] }
//       (the tensor records, in order, are the manifest: name + shape; offsets follow from the order)
//   .   dataLength bytes: one section per tensor, back to back, in record order
//   .   u32 CRC-32 of every byte before it
import { configFromFile, type StlmConfig } from '../config.ts';
import { buildManifest, checkManifest, manifestSize, type ParamManifest } from '../params.ts';
import { decodeEnvelope, encodeEnvelope, type EnvelopeFormat } from '../envelope.ts';

export const CONSOLIDATED_MAGIC = 'STLQ';
export const CONSOLIDATED_FORMAT_VERSION = 1;

export type Codec = 'fp32' | 'int8' | 'sparse-fp32' | 'sparse-int8';
export type SparseLayout = 'bitmap' | 'index16' | 'index32';

/** One tensor as stored. Sparse payloads carry only the kept values, in flat order. */
export type TensorPayload =
  | { name: string; codec: 'fp32'; values: Float32Array }
  | { name: string; codec: 'int8'; channelAxis: 0 | 1; q: Int8Array; scales: Float32Array }
  | { name: string; codec: 'sparse-fp32'; keep: Uint8Array; values: Float32Array }
  | { name: string; codec: 'sparse-int8'; channelAxis: 0 | 1; keep: Uint8Array; q: Int8Array; scales: Float32Array };

/** What the header says about one tensor's section. */
export interface TensorRecord {
  name: string;
  shape: number[];
  codec: Codec;
  /** Byte length of the section (sections follow one another in record order). */
  length: number;
  /** Sparse codecs: how the kept positions are stored, and how many there are. */
  layout?: SparseLayout;
  nnz?: number;
  /** int8 codecs: axis of the output channels (one fp32 scale each). */
  channelAxis?: 0 | 1;
}

interface ConsolidatedHeader {
  config: StlmConfig;
  numParams: number;
  meta?: Record<string, unknown>;
  dataLength: number;
  tensors: TensorRecord[];
}

export interface ConsolidatedFile {
  config: StlmConfig;
  manifest: ParamManifest;
  meta: Record<string, unknown>;
  tensors: TensorPayload[];
}

const ERR = 'consolidated file';
const FORMAT: EnvelopeFormat = { magic: CONSOLIDATED_MAGIC, version: CONSOLIDATED_FORMAT_VERSION, name: ERR, what: 'a consolidated STLM file', align: 1 };

function countKept(keep: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < keep.length; i++) if (keep[i] !== 0) n++;
  return n;
}

/** The smallest way to store which positions are kept: a bitmap, or a list of their indices. */
export function chooseLayout(size: number, nnz: number): SparseLayout {
  const bitmap = Math.ceil(size / 8);
  const indexWidth = size <= 0x10000 ? 2 : 4;
  if (nnz * indexWidth >= bitmap) return 'bitmap';
  return indexWidth === 2 ? 'index16' : 'index32';
}

function maskBytes(layout: SparseLayout, size: number, nnz: number): number {
  return layout === 'bitmap' ? Math.ceil(size / 8) : nnz * (layout === 'index16' ? 2 : 4);
}

function sectionLength(p: TensorPayload, size: number, rec: Partial<TensorRecord>): number {
  switch (p.codec) {
    case 'fp32': return size * 4;
    case 'int8': return p.scales.length * 4 + size;
    case 'sparse-fp32': return maskBytes(rec.layout!, size, rec.nnz!) + rec.nnz! * 4;
    case 'sparse-int8': return maskBytes(rec.layout!, size, rec.nnz!) + p.scales.length * 4 + rec.nnz!;
    default: { const _: never = p; throw new Error(`unknown codec ${String(_)}`); }
  }
}

export function encodeConsolidated(f: ConsolidatedFile): Uint8Array {
  checkManifest(f.manifest);
  if (f.tensors.length !== f.manifest.length) throw new Error(`encodeConsolidated: ${f.tensors.length} tensors for ${f.manifest.length} manifest entries`);
  const records: TensorRecord[] = [];
  let offset = 0;
  f.tensors.forEach((p, i) => {
    const e = f.manifest[i];
    if (p.name !== e.name) throw new Error(`encodeConsolidated: tensor ${i} is ${p.name}, the manifest says ${e.name}`);
    const rec: TensorRecord = { name: p.name, shape: e.shape, codec: p.codec, length: 0 };
    if (p.codec === 'sparse-fp32' || p.codec === 'sparse-int8') {
      if (p.keep.length !== e.size) throw new Error(`encodeConsolidated: mask of ${p.name} has ${p.keep.length} entries, not ${e.size}`);
      rec.nnz = countKept(p.keep);
      rec.layout = chooseLayout(e.size, rec.nnz);
      const stored = p.codec === 'sparse-fp32' ? p.values.length : p.q.length;
      if (stored !== rec.nnz) throw new Error(`encodeConsolidated: ${p.name} has ${stored} values for ${rec.nnz} kept positions`);
    } else if ((p.codec === 'fp32' ? p.values.length : p.q.length) !== e.size) {
      throw new Error(`encodeConsolidated: ${p.name} has the wrong number of values`);
    }
    if (p.codec === 'int8' || p.codec === 'sparse-int8') {
      if (p.scales.length !== e.shape[p.channelAxis]) throw new Error(`encodeConsolidated: ${p.name} needs ${e.shape[p.channelAxis]} scales`);
      rec.channelAxis = p.channelAxis;
    }
    rec.length = sectionLength(p, e.size, rec);
    offset += rec.length;
    records.push(rec);
  });
  const header = JSON.stringify({
    config: f.config, numParams: manifestSize(f.manifest), meta: f.meta, dataLength: offset, tensors: records,
  });
  const starts: number[] = [];
  records.reduce((at, r) => (starts.push(at), at + r.length), 0);
  return encodeEnvelope(FORMAT, header, offset, (data, view) => {
    f.tensors.forEach((p, i) => writeSection(data, view, starts[i], p, records[i]));
  });
}

function writeSection(out: Uint8Array, view: DataView, at: number, p: TensorPayload, rec: TensorRecord): void {
  const f32 = (a: Float32Array) => { for (let i = 0; i < a.length; i++, at += 4) view.setFloat32(at, a[i], true); };
  const i8 = (a: Int8Array) => { out.set(new Uint8Array(a.buffer, a.byteOffset, a.length), at); at += a.length; };
  const mask = (keep: Uint8Array) => {
    if (rec.layout === 'bitmap') {
      for (let i = 0; i < keep.length; i++) if (keep[i] !== 0) out[at + (i >> 3)] |= 1 << (i & 7);
      at += Math.ceil(keep.length / 8);
      return;
    }
    const wide = rec.layout === 'index32';
    for (let i = 0; i < keep.length; i++) {
      if (keep[i] === 0) continue;
      if (wide) view.setUint32(at, i, true); else view.setUint16(at, i, true);
      at += wide ? 4 : 2;
    }
  };
  switch (p.codec) {
    case 'fp32': f32(p.values); break;
    case 'int8': f32(p.scales); i8(p.q); break;
    case 'sparse-fp32': mask(p.keep); f32(p.values); break;
    case 'sparse-int8': mask(p.keep); f32(p.scales); i8(p.q); break;
  }
}

/** Reads a consolidated file; refuses a wrong magic, a newer version, a truncated or corrupt file. */
export function decodeConsolidated(bytes: Uint8Array): ConsolidatedFile {
  const { header, payload: data, view } = decodeEnvelope(FORMAT, bytes, {
    payloadLength: (header) => {
      const h = header as Partial<ConsolidatedHeader> | null;
      if (!h || !Number.isInteger(h.dataLength) || h.dataLength! < 0 || !Array.isArray(h.tensors)) {
        throw new Error(`${ERR}: header is missing fields, the file is corrupt`);
      }
      return h.dataLength!;
    },
  });
  const h = header as ConsolidatedHeader;
  const config = configFromFile(h.config);
  let manifest: ParamManifest;
  try {
    for (const r of h.tensors) {
      if (typeof r?.name !== 'string' || !Array.isArray(r.shape) || !r.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error('bad tensor record');
    }
    manifest = buildManifest(h.tensors.map((r) => ({ name: r.name, shape: r.shape })));
  } catch (e) {
    throw new Error(`${ERR}: tensor records are damaged (${(e as Error).message})`);
  }
  if (manifestSize(manifest) !== h.numParams) throw new Error(`${ERR}: tensor shapes do not add up to the parameter count`);
  let at = 0;
  const tensors = h.tensors.map((rec, i) => {
    if (!(Number.isInteger(rec.length) && rec.length >= 0 && at + rec.length <= h.dataLength)) {
      throw new Error(`${ERR}: section of ${rec.name} lies outside the data`);
    }
    const p = readSection(data, view, at, rec, manifest[i].size, rec.shape);
    at += rec.length;
    return p;
  });
  if (at !== h.dataLength) throw new Error(`${ERR}: sections hold ${at} bytes, the header says ${h.dataLength}`);
  return { config, manifest, meta: h.meta ?? {}, tensors };
}

function readSection(bytes: Uint8Array, view: DataView, start: number, rec: TensorRecord, size: number, shape: number[]): TensorPayload {
  let at = start;
  const end = start + rec.length;
  const need = (n: number) => {
    if (at + n > end) throw new Error(`${ERR}: section of ${rec.name} is shorter than its codec needs`);
  };
  const f32 = (n: number) => {
    need(n * 4);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++, at += 4) a[i] = view.getFloat32(at, true);
    return a;
  };
  const i8 = (n: number) => {
    need(n);
    const a = new Int8Array(bytes.slice(at, at + n).buffer);
    at += n;
    return a;
  };
  const channels = () => {
    if (rec.channelAxis !== 0 && rec.channelAxis !== 1) throw new Error(`${ERR}: ${rec.name} has no channel axis`);
    if (shape.length !== 2) throw new Error(`${ERR}: ${rec.name} is int8 but not a matrix`);
    return { channelAxis: rec.channelAxis, n: shape[rec.channelAxis] };
  };
  const mask = (): Uint8Array => {
    const nnz = rec.nnz;
    if (!Number.isInteger(nnz) || nnz! < 0 || nnz! > size) throw new Error(`${ERR}: ${rec.name} has a bad kept count`);
    const keep = new Uint8Array(size);
    if (rec.layout === 'bitmap') {
      need(Math.ceil(size / 8));
      for (let i = 0; i < size; i++) keep[i] = (bytes[at + (i >> 3)] >> (i & 7)) & 1;
      at += Math.ceil(size / 8);
    } else if (rec.layout === 'index16' || rec.layout === 'index32') {
      const w = rec.layout === 'index32' ? 4 : 2;
      need(nnz! * w);
      let prev = -1;
      for (let j = 0; j < nnz!; j++, at += w) {
        const i = w === 4 ? view.getUint32(at, true) : view.getUint16(at, true);
        if (i <= prev || i >= size) throw new Error(`${ERR}: index list of ${rec.name} is not increasing within the tensor`);
        keep[i] = 1;
        prev = i;
      }
    } else {
      throw new Error(`${ERR}: ${rec.name} has unknown sparse layout ${String(rec.layout)}`);
    }
    if (countKept(keep) !== nnz) throw new Error(`${ERR}: mask of ${rec.name} does not hold ${nnz} kept positions`);
    return keep;
  };
  let p: TensorPayload;
  switch (rec.codec) {
    case 'fp32': p = { name: rec.name, codec: 'fp32', values: f32(size) }; break;
    case 'int8': { const c = channels(); p = { name: rec.name, codec: 'int8', channelAxis: c.channelAxis, scales: f32(c.n), q: i8(size) }; break; }
    case 'sparse-fp32': { const keep = mask(); p = { name: rec.name, codec: 'sparse-fp32', keep, values: f32(rec.nnz!) }; break; }
    case 'sparse-int8': {
      const keep = mask();
      const c = channels();
      p = { name: rec.name, codec: 'sparse-int8', channelAxis: c.channelAxis, keep, scales: f32(c.n), q: i8(rec.nnz!) };
      break;
    }
    default: throw new Error(`${ERR}: ${rec.name} has unknown codec ${String(rec.codec)}`);
  }
  if (at !== end) throw new Error(`${ERR}: section of ${rec.name} has ${end - at} bytes more than its codec uses`);
  return p;
}
