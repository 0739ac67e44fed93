import { describe, expect, it } from 'vitest';
import { codecByName } from '../../protocol/codecs/index.ts';
import { checkResultPayload } from './result-precheck.ts';

const n = 10_000;
const vector = new Float32Array(n).map((_, i) => Math.sin(i) * 0.01);

describe('checkResultPayload', () => {
  it('passes what each codec makes for the model', () => {
    for (const codec of ['fp32', 'fp16', 'int8', 'topk']) {
      expect(checkResultPayload(codecByName(codec).encode(vector), n, codec)).toBeUndefined();
    }
  });

  it('refuses another codec, another length, a padded payload and a payload with no header', () => {
    expect(checkResultPayload(codecByName('fp32').encode(vector), n, 'int8')).toMatch(/^wrong codec/);
    expect(checkResultPayload(codecByName('int8').encode(vector.subarray(1)), n, 'int8')).toMatch(/^wrong length/);
    const real = codecByName('int8').encode(vector);
    const padded = new Uint8Array(real.byteLength + 4096);
    padded.set(real);
    expect(checkResultPayload(padded, n, 'int8')).toMatch(/^oversized gradient/);
    expect(checkResultPayload(new Uint8Array(5), n, 'int8')).toMatch(/^undecodable gradient/);
  });
});
