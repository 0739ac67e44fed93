import { afterEach, describe, expect, it, vi } from 'vitest';
import { leavesWhenHidden, watchPageLifecycle } from './page-lifecycle.ts';

/** A document as far as the watcher reads it: visibilityState and its change event. */
function fakeDocument() {
  const target = new EventTarget() as EventTarget & { visibilityState: DocumentVisibilityState };
  target.visibilityState = 'visible';
  const set = (state: DocumentVisibilityState) => {
    target.visibilityState = state;
    target.dispatchEvent(new Event('visibilitychange'));
  };
  return { doc: target as unknown as Document, set };
}

afterEach(() => vi.useRealTimers());

describe('page lifecycle', () => {
  it('reports hiding, and how long the tab was away when it shows again', () => {
    vi.useFakeTimers();
    const { doc, set } = fakeDocument();
    const seen: string[] = [];
    const stop = watchPageLifecycle(doc, {
      onHidden: () => seen.push('hidden'),
      onVisible: (ms) => seen.push(`visible after ${ms}`),
      onWoke: (ms) => seen.push(`woke after ${ms}`),
    });
    set('hidden');
    vi.advanceTimersByTime(4_000);
    set('visible');
    set('visible'); // no second report without a hide in between
    expect(seen).toEqual(['hidden', 'visible after 4000']);
    stop();
    set('hidden');
    expect(seen).toHaveLength(2);
  });

  it('notices a device that slept: timers that did not run for a long while', () => {
    vi.useFakeTimers();
    const { doc } = fakeDocument();
    const woke: number[] = [];
    const stop = watchPageLifecycle(doc, { onHidden() {}, onVisible() {}, onWoke: (ms) => woke.push(ms) });
    vi.advanceTimersByTime(10_000); // ticking normally: no report
    expect(woke).toEqual([]);
    vi.setSystemTime(Date.now() + 60_000); // the clock jumps while no timer ran
    vi.advanceTimersByTime(2_000);
    expect(woke).toHaveLength(1);
    expect(woke[0]).toBeGreaterThanOrEqual(60_000);
    stop();
  });

  it('leaves when hidden on a touch device, trains on at a desktop, and obeys ?background=', () => {
    expect(leavesWhenHidden(null, true)).toBe(true);
    expect(leavesWhenHidden(null, false)).toBe(false);
    expect(leavesWhenHidden('leave', false)).toBe(true);
    expect(leavesWhenHidden('train', true)).toBe(false);
  });
});
