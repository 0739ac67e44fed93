// BackgroundConsolidation: one at a time, the newest waiting checkpoint next (older waiting ones skipped),
// a failure logged without stopping the queue, idle() waits for all of it, and every offered checkpoint
// leased until it is consolidated or skipped.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { BackgroundConsolidation } from './background.ts';

describe('BackgroundConsolidation', () => {
  it('consolidates the running one and the newest waiting one, and survives a failure', async () => {
    const done: string[] = [];
    const held = new Map<string, number>();
    const lease = (p: string) => {
      held.set(p, (held.get(p) ?? 0) + 1);
      return { path: p, release: async () => void held.set(p, held.get(p)! - 1) };
    };
    let release: () => void = () => {};
    const bg = new BackgroundConsolidation(async (p) => {
      expect(held.get(p), `${p} leased while consolidated`).toBe(1);
      if (p === 'a') await new Promise<void>((r) => (release = r));
      if (p === 'c') throw new Error('disk full');
      done.push(p);
    }, pino({ level: 'silent' }), lease);
    bg.offer('a');
    bg.offer('b'); // waiting...
    expect(held.get('b')).toBe(1);
    bg.offer('c'); // ...replaced by a newer one, which fails
    expect(held.get('b')).toBe(0);
    await Promise.resolve();
    release();
    await bg.idle();
    expect(done).toEqual(['a']);
    bg.offer('d');
    await bg.idle();
    expect(done).toEqual(['a', 'd']);
    expect([...held.values()]).toEqual([0, 0, 0, 0]);
  });
});
