// The conformance suite every master optimizer must pass (hono's `runTest({ newRouter })` pattern): call
// `runOptimizerConformance({ create })` from a test file. A resumed run must continue exactly, so state round
// trips (in memory and through optimizer.bin) are compared bit for bit; bad input must be refused before
// anything is touched, since a NaN in the weights or the moments would stay there for good.
import { describe, expect, it } from 'vitest';
import { OPTIMIZER_KINDS, type MasterOptimizer, type OptimizerState } from './optimizer.ts';
import { decodeOptimizerFile, encodeOptimizerFile } from './state-file.ts';

export interface OptimizerConformanceOptions {
  /** A fresh optimizer over `size` parameters. */
  create(size: number): MasterOptimizer;
}

/** Odd, so no implementation can lean on a multiple of 4 or 8. */
const SIZE = 257;

/** Deterministic pseudo-random vector (no Math.random: a failure must reproduce). */
function vector(n: number, seed: number, scale = 1e-2): Float32Array {
  let s = seed >>> 0;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = scale * (s / 2 ** 32 - 0.5);
  }
  return v;
}

/** Steps `opt` on `weights` with updates seeded from `seed`, the schedule's steps counting from `from`. */
function steps(opt: MasterOptimizer, weights: Float32Array, count: number, from: number, seed = 1): void {
  for (let k = 0; k < count; k++) opt.step(weights, vector(weights.length, seed + from + k), from + k);
}

/** Bit patterns, so -0 and 0 (or two NaNs) are told apart where plain equality would not. */
function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength)));
}

function stateBits(s: OptimizerState): Record<string, unknown> {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v instanceof Float32Array ? bits(v) : v]));
}

function arrayFields(s: OptimizerState): string[] {
  return Object.keys(s).filter((k) => (s as unknown as Record<string, unknown>)[k] instanceof Float32Array);
}

function countFields(s: OptimizerState): string[] {
  return Object.keys(s).filter((k) => typeof (s as unknown as Record<string, unknown>)[k] === 'number');
}

/** Every way an imported state can be wrong, each with the error it must raise. */
function badStates(s: OptimizerState): Array<{ what: string; state: OptimizerState; error: RegExp }> {
  const out: Array<{ what: string; state: OptimizerState; error: RegExp }> = [];
  const withField = (k: string, v: unknown) => ({ ...s, [k]: v }) as OptimizerState;
  for (const k of arrayFields(s)) {
    const a = (s as unknown as Record<string, Float32Array>)[k]!;
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const poisoned = a.slice();
      poisoned[SIZE >> 1] = bad;
      out.push({ what: `${k} with ${bad}`, state: withField(k, poisoned), error: /NaN or Infinity/ });
    }
    out.push({ what: `${k} one short`, state: withField(k, a.subarray(1)), error: new RegExp(`${k} must be ${SIZE} floats, got ${SIZE - 1}`) });
    out.push({ what: `${k} missing`, state: withField(k, undefined), error: new RegExp(`${k} must be ${SIZE} floats`) });
  }
  for (const k of countFields(s)) {
    for (const bad of [-1, 1.5, Number.NaN]) out.push({ what: `${k} = ${bad}`, state: withField(k, bad), error: /bad step count/ });
  }
  for (const other of OPTIMIZER_KINDS.filter((k) => k !== s.kind)) {
    out.push({ what: `kind ${other}`, state: withField('kind', other), error: new RegExp(`got ${other} state`) });
  }
  return out;
}

export function runOptimizerConformance(o: OptimizerConformanceOptions): void {
  const kind = o.create(0).kind;
  describe(`optimizer conformance: ${kind}`, () => {
    steppingCases(o, kind);
    refusalCases(o);
  });
}

/** What it does: its kind, deterministic steps, state round trips that continue bit for bit. */
function steppingCases(o: OptimizerConformanceOptions, kind: string): void {
  it('is a registered kind and exports a state of its kind', () => {
    expect(OPTIMIZER_KINDS).toContain(kind);
    expect(o.create(SIZE).exportState().kind).toBe(kind);
  });

  it('steps deterministically, moves the weights, reports a finite rate and leaves the update untouched', () => {
    const [a, b] = [o.create(SIZE), o.create(SIZE)];
    const start = vector(SIZE, 99, 1);
    const [wa, wb] = [start.slice(), start.slice()];
    const update = vector(SIZE, 5);
    const given = update.slice();
    const info = a.step(wa, update, 0);
    expect(Number.isFinite(info.lr) && info.lr > 0).toBe(true);
    expect(bits(update)).toEqual(bits(given));
    expect(bits(wa)).not.toEqual(bits(start));
    b.step(wb, given, 0);
    steps(a, wa, 3, 1);
    steps(b, wb, 3, 1);
    expect(bits(wb)).toEqual(bits(wa));
    expect(stateBits(b.exportState())).toEqual(stateBits(a.exportState()));
  });

  const roundTrips: Array<[string, (s: OptimizerState) => OptimizerState]> = [
    ['exportState → importState', (s) => s],
    ['optimizer.bin', (s) => decodeOptimizerFile(encodeOptimizerFile(s))],
  ];
  for (const [via, carry] of roundTrips) {
    it(`continues bit-identically after its state goes through ${via}`, () => {
      const a = o.create(SIZE);
      const wa = vector(SIZE, 7, 1);
      steps(a, wa, 3, 0);
      const b = o.create(SIZE);
      b.importState(carry(a.exportState()));
      expect(stateBits(b.exportState())).toEqual(stateBits(a.exportState()));
      const wb = wa.slice();
      steps(a, wa, 4, 3);
      steps(b, wb, 4, 3);
      expect(bits(wb)).toEqual(bits(wa));
      expect(stateBits(b.exportState())).toEqual(stateBits(a.exportState()));
    });
  }

  it('exports and imports copies, never its own arrays', () => {
    const a = o.create(SIZE);
    steps(a, vector(SIZE, 3, 1), 2, 0);
    const exported = a.exportState();
    const before = stateBits(exported);
    const b = o.create(SIZE);
    b.importState(exported);
    for (const k of arrayFields(exported)) (exported as unknown as Record<string, Float32Array>)[k]!.fill(9);
    expect(stateBits(a.exportState())).toEqual(before);
    expect(stateBits(b.exportState())).toEqual(before);
  });
}

/** What it refuses, keeping its weights and state; and the empty model. */
function refusalCases(o: OptimizerConformanceOptions): void {
  it('refuses NaN and ±Infinity in an update, with weights and state untouched', () => {
    const opt = o.create(SIZE);
    const w = vector(SIZE, 11, 1);
    steps(opt, w, 2, 0);
    const [wBefore, sBefore] = [bits(w), stateBits(opt.exportState())];
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const update = vector(SIZE, 12);
      update[42] = bad;
      expect(() => opt.step(w, update, 2)).toThrow(/NaN or Infinity/);
    }
    expect(bits(w)).toEqual(wBefore);
    expect(stateBits(opt.exportState())).toEqual(sBefore);
  });

  it('refuses weights or an update of the wrong length', () => {
    const opt = o.create(SIZE);
    expect(() => opt.step(new Float32Array(SIZE + 1), vector(SIZE + 1, 1), 0)).toThrow(new RegExp(`expected ${SIZE}`));
    expect(() => opt.step(new Float32Array(SIZE), vector(SIZE - 1, 1), 0)).toThrow(new RegExp(`expected ${SIZE}`));
  });

  it('refuses a state with NaN/±Infinity, a wrong length, a bad step count or another kind, keeping its own', () => {
    const opt = o.create(SIZE);
    steps(opt, vector(SIZE, 13, 1), 2, 0);
    const good = opt.exportState();
    const before = stateBits(good);
    const cases = badStates(good);
    expect(cases.length).toBeGreaterThan(5);
    for (const c of cases) expect(() => opt.importState(c.state), c.what).toThrow(c.error);
    expect(stateBits(opt.exportState())).toEqual(before);
  });

  it('works on zero parameters', () => {
    const opt = o.create(0);
    expect(Number.isFinite(opt.step(new Float32Array(0), new Float32Array(0), 0).lr)).toBe(true);
    const back = o.create(0);
    back.importState(decodeOptimizerFile(encodeOptimizerFile(opt.exportState())));
    expect(stateBits(back.exportState())).toEqual(stateBits(opt.exportState()));
  });
}
