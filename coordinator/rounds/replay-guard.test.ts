import { describe, expect, it } from 'vitest';
import { ReplayGuard } from './replay-guard.ts';

describe('ReplayGuard', () => {
  it('names the round a repeated payload was first seen in; a payload differing in one byte is new', () => {
    const g = new ReplayGuard();
    const a = Uint8Array.from([1, 2, 3, 4]);
    expect(g.check(a, 3)).toBeUndefined();
    expect(g.check(a.slice(), 7)).toBe(3);
    expect(g.check(Uint8Array.from([1, 2, 3, 5]), 7)).toBeUndefined();
  });
  it('keeps at most maxEntries digests, forgetting the oldest', () => {
    const g = new ReplayGuard(2);
    for (let i = 0; i < 3; i++) g.check(Uint8Array.of(i), i);
    expect(g.size).toBe(2);
    expect(g.check(Uint8Array.of(0), 9)).toBeUndefined(); // forgotten
    expect(g.check(Uint8Array.of(2), 9)).toBe(2);
  });
});
