// The liveness sweep drops silent peers that are not in a training step, and skips a sweep when this
// process itself was blocked (the timer fired late).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startLivenessSweep } from './liveness.ts';

afterEach(() => vi.useRealTimers());

describe('startLivenessSweep', () => {
  it('drops silent idle peers, spares working ones, and ignores a sweep after this process was blocked', () => {
    vi.useFakeTimers();
    const dropped: string[] = [];
    const stop = startLivenessSweep({
      timeoutMs: 15_000,
      everyMs: 2_000,
      silentSince: () => [{ id: 'idle' }, { id: 'busy' }],
      isWorking: (id) => id === 'busy',
      drop: (p, reason) => dropped.push(`${p.id}: ${reason}`),
    });
    vi.advanceTimersByTime(2_000);
    expect(dropped).toEqual(['idle: no message for 15000 ms']);
    // The clock jumps 10 s between two ticks (the event loop was blocked): that sweep is skipped.
    vi.setSystemTime(Date.now() + 10_000);
    vi.advanceTimersByTime(2_000);
    expect(dropped).toHaveLength(1);
    stop();
    vi.advanceTimersByTime(10_000);
    expect(dropped).toHaveLength(1);
  });
});
