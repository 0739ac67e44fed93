// SampleCache: one generation per round and prompt, at most one per interval, the latest sample or a 429
// in between, a bounded number of prompts remembered.
import { describe, expect, it } from 'vitest';
import { SampleCache, SampleRateLimited } from './sample-cache.ts';

describe('SampleCache', () => {
  it('generates once per round and prompt and at most once per interval', async () => {
    let t = 0;
    let round = 1;
    const made: string[] = [];
    const cache = new SampleCache({
      generate: (prompt) => (made.push(prompt), { text: `${prompt}…`, round }),
      currentRound: () => round,
      minIntervalMs: 5_000,
      now: () => t,
    });
    for (let i = 0; i < 50; i++) expect((await cache.get('The ', 160)).text).toBe('The …');
    expect(made).toEqual(['The ']);
    // Another prompt within the interval: refused, with when to come back.
    t = 2_000;
    const refused = await cache.get('A ', 160).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SampleRateLimited);
    expect((refused as SampleRateLimited).retryAfterSeconds).toBe(3);
    // A new round within the interval: the old sample, not a new generation.
    round = 2;
    expect((await cache.get('The ', 160)).round).toBe(1);
    // After the interval: a fresh sample of the new round.
    t = 5_000;
    expect((await cache.get('The ', 160)).round).toBe(2);
    expect(made).toEqual(['The ', 'The ']);
  });

  it('waits SAMPLE_DUTY_FACTOR times as long as a slow generation took before the next one', async () => {
    let t = 0;
    let round = 1;
    const cache = new SampleCache({
      // Each generation takes 4 s of (simulated) time.
      generate: async (prompt) => {
        t += 4_000;
        return { text: prompt, round };
      },
      currentRound: () => round,
      minIntervalMs: 5_000,
      now: () => t,
    });
    await cache.get('The ', 160);
    round = 2;
    // Started at 0, took 4 s: the next may start at (1 + 4) x 4 s = 20 s, not at the 5 s interval.
    t = 19_000;
    expect((await cache.get('The ', 160)).round).toBe(1);
    await expect(cache.get('A ', 160)).rejects.toBeInstanceOf(SampleRateLimited);
    t = 20_000;
    expect((await cache.get('The ', 160)).round).toBe(2);
  });
});
