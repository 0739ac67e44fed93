import { describe, expect, it } from 'vitest';
import { encodeOptimizerState } from './optimizer-file.ts';
import { decodeOptimizerFile, encodeOptimizerFile } from './state-file.ts';
import type { OptimizerState } from './optimizer.ts';

// optimizer.bin files written before the state had a kind (encodeOptimizerState of AdamW's {m, v, t} and the
// outer optimizer's {buffer, steps}): they must still load, and the same states must still encode to them.
const BEFORE_KINDS: Array<{ state: OptimizerState; base64: string }> = [
  {
    state: { kind: 'adamw', m: Float32Array.from([0.5, -1.25, 3e-8]), v: Float32Array.from([0.25, 1e-6, 2]), t: 7 },
    base64: 'U1RMTwEAAAA7AAAAeyJtIjp7IiRmMzIiOjAsImxlbmd0aCI6M30sInYiOnsiJGYzMiI6MSwibGVuZ3RoIjozfSwidCI6N30AAAAAPwAAoL9Z2QAzAACAPr03hjUAAABAPdYPnQ==',
  },
  {
    state: { kind: 'outer-nesterov', buffer: Float32Array.from([-0.75, 0, 1.5]), steps: 4 },
    base64: 'U1RMTwEAAAAqAAAAeyJidWZmZXIiOnsiJGYzMiI6MCwibGVuZ3RoIjozfSwic3RlcHMiOjR9AAAAAEC/AAAAAAAAwD/tUkbq',
  },
];

describe('optimizer.bin state', () => {
  for (const { state, base64 } of BEFORE_KINDS) {
    it(`${state.kind}: files from before kinds load as typed states, and encoding is byte-identical to them`, () => {
      const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
      expect(decodeOptimizerFile(bytes)).toEqual(state);
      expect(Buffer.from(encodeOptimizerFile(state)).toString('base64')).toBe(base64);
    });
  }

  it('refuses a state of no known shape, saying what each kind found wrong', () => {
    const bad = (v: unknown) => () => decodeOptimizerFile(encodeOptimizerState(v));
    expect(bad(null)).toThrow(/neither AdamW \{m, v, t\} nor outer Nesterov \{buffer, steps\}/);
    expect(bad({ m: new Float32Array(2), v: new Float32Array(2), t: -1 })).toThrow(/as adamw: t: /);
    expect(bad({ m: new Float32Array(2), v: [0, 0], t: 1 })).toThrow(/as adamw: v: /);
    expect(bad({ buffer: new Float32Array(2), steps: 1.5 })).toThrow(/as outer-nesterov: steps: /);
    expect(bad({ buffer: new Float32Array(2), steps: 1, kind: 'outer-nesterov' })).toThrow(/Unrecognized key: "kind"/);
  });

  it('passes the envelope\'s own errors through', () => {
    expect(() => decodeOptimizerFile(new Uint8Array(3))).toThrow(/truncated/);
  });
});
