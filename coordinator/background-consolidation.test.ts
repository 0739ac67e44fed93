// BackgroundConsolidation: one at a time, the newest waiting checkpoint next (older waiting ones skipped),
// a failure logged without stopping the queue, idle() waits for all of it.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BackgroundConsolidation } from './background-consolidation.ts';

describe('BackgroundConsolidation', () => {
  it('consolidates the running one and the newest waiting one, and survives a failure', async () => {
    const done: string[] = [];
    let release: () => void = () => {};
    const bg = new BackgroundConsolidation(async (p) => {
      if (p === 'a') await new Promise<void>((r) => (release = r));
      if (p === 'c') throw new Error('disk full');
      done.push(p);
    }, pino({ level: 'silent' }));
    bg.offer('a');
    bg.offer('b'); // waiting...
    bg.offer('c'); // ...replaced by a newer one, which fails
    await Promise.resolve();
    release();
    await bg.idle();
    expect(done).toEqual(['a']);
    bg.offer('d');
    await bg.idle();
    expect(done).toEqual(['a', 'd']);
  });
});
