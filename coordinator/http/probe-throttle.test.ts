// ProbeThrottle: five failures in a window block the address for the rest of it; the window's end clears it.
import { describe, expect, it } from 'vitest';
import { ProbeThrottle } from './probe-throttle.ts';

describe('ProbeThrottle', () => {
  it('blocks an address after five failures within a minute, until the minute is over', () => {
    let t = 0;
    const p = new ProbeThrottle(() => t);
    for (let i = 0; i < 4; i++) p.recordFailure('1.2.3.4');
    expect(p.blockedFor('1.2.3.4')).toBe(0);
    p.recordFailure('1.2.3.4');
    t = 20_000;
    expect(p.blockedFor('1.2.3.4')).toBe(40);
    expect(p.blockedFor('5.6.7.8')).toBe(0);
    t = 60_000;
    expect(p.blockedFor('1.2.3.4')).toBe(0);
  });
});
