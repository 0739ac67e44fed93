import { describe, expect, it } from 'vitest';
import { sameToken } from './token.ts';

describe('sameToken', () => {
  it('accepts only the exact token', () => {
    expect(sameToken('s3cret', 's3cret')).toBe(true);
    expect(sameToken('s3creT', 's3cret')).toBe(false);
    expect(sameToken('s3cre', 's3cret')).toBe(false);
    expect(sameToken('s3crett', 's3cret')).toBe(false);
    expect(sameToken('', 's3cret')).toBe(false);
    expect(sameToken('', '')).toBe(true);
  });

  it('compares UTF-8 bytes, not UTF-16 code units', () => {
    expect(sameToken('día', 'día')).toBe(true);
    // Same UTF-16 length, different bytes.
    expect(sameToken('dia', 'día')).toBe(false);
    expect(sameToken('\u{1F511}', '\u{1F511}')).toBe(true);
  });
});
