import { describe, expect, it } from 'vitest';
import { MAX_RETRY_AFTER_MS, ReconnectBackoff } from './reconnect.ts';

const POLICY = { minMs: 500, maxMs: 60_000, stableMs: 60_000 };
/** The top of the jitter range (Math.random never returns 1; the bound is what these tests read). */
const TOP = () => 1;

describe('ReconnectBackoff', () => {
  it('a peer kicked right after each join waits longer each time, with jitter, up to the cap', () => {
    const b = new ReconnectBackoff(POLICY, TOP);
    const delays = Array.from({ length: 10 }, () => {
      const s = b.next({ connectedMs: 300, code: 'ERR_HEARTBEAT_TIMEOUT' });
      return s.stop ? -1 : s.delayMs;
    });
    expect(delays.slice(0, 5)).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(delays.at(-1)).toBe(60_000);
    expect(Math.max(...delays)).toBe(60_000);
    // Jitter: the wait lies in [base/2, base), so peers dropped together spread out.
    const low = new ReconnectBackoff(POLICY, () => 0);
    expect(low.next({ connectedMs: 300 })).toMatchObject({ stop: false, delayMs: 250 });
  });

  it('a session that lasted stableMs starts the backoff over; failed joins keep growing it', () => {
    const b = new ReconnectBackoff(POLICY, TOP);
    for (let i = 0; i < 4; i++) b.next({ code: 'ERR_CONNECT' });
    expect(b.next({ code: 'ERR_CONNECT' })).toMatchObject({ delayMs: 8000, failures: 5 });
    expect(b.next({ connectedMs: 120_000, code: 'ERR_DISCONNECTED' })).toMatchObject({ delayMs: 500, failures: 1 });
  });

  it('waits at least the coordinator\'s retryAfterMs, bounded', () => {
    const b = new ReconnectBackoff(POLICY, TOP);
    expect(b.next({ code: 'ERR_FULL', retryAfterMs: 10_000 })).toMatchObject({ delayMs: 10_000 });
    expect(b.next({ code: 'ERR_BACKOFF', retryAfterMs: 10 * MAX_RETRY_AFTER_MS })).toMatchObject({ delayMs: MAX_RETRY_AFTER_MS });
  });

  it('stops on a permanent refusal', () => {
    for (const code of ['ERR_TOKEN', 'ERR_PROTOCOL_VERSION', 'ERR_MODEL_TOO_LARGE'] as const) {
      expect(new ReconnectBackoff(POLICY).next({ code })).toEqual({ stop: true, code });
    }
    expect(new ReconnectBackoff(POLICY).next({ code: 'ERR_FULL' }).stop).toBe(false);
  });
});
