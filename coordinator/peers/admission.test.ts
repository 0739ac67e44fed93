import { describe, expect, it } from 'vitest';
import { Admission, addressKey, bytesPerPeer, defaultMaxPeers, isMisbehaviour, MAX_PEERS_CEILING, peerMemoryBudget, type AdmissionLimits } from './admission.ts';
import { JoinRateLimiter, MAX_TRACKED_ADDRESSES } from './join-rate.ts';
import { MAX_ENTRIES, MisbehaviourBackoff } from './misbehaviour-backoff.ts';

const LIMITS: AdmissionLimits = {
  maxPeers: 3, maxPeersPerAddress: 2, joinsPerMinutePerAddress: 5, joinsPerMinute: 8, backoffMs: 10_000, maxBackoffMs: 40_000,
};

function clock() {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('Admission', () => {
  it('caps the peers in total and per address, and frees a slot on release', () => {
    const a = new Admission(LIMITS);
    expect(a.admit('10.0.0.1', 't').ok).toBe(true);
    expect(a.admit('10.0.0.1', 't').ok).toBe(true);
    expect(a.admit('10.0.0.1', 't')).toMatchObject({ ok: false, code: 'ERR_ADDRESS_LIMIT' });
    expect(a.admit('10.0.0.2', 't').ok).toBe(true);
    const full = a.admit('10.0.0.3', 't');
    expect(full).toMatchObject({ ok: false, code: 'ERR_FULL' });
    expect(full.ok === false && full.retryAfterMs).toBeGreaterThan(0);
    a.release('10.0.0.1');
    expect(a.admit('10.0.0.3', 't').ok).toBe(true);
    a.release('10.0.0.9'); // never admitted: changes nothing
    expect(a.status()).toMatchObject({ peers: 3, refused: { ERR_ADDRESS_LIMIT: 1, ERR_FULL: 1, ERR_RATE_LIMITED: 0, ERR_BACKOFF: 0 } });
  });

  it('limits the join rate per address and overall, refilling over time', () => {
    const c = clock();
    const a = new Admission(LIMITS, c.now);
    for (let i = 0; i < 5; i++) expect(a.checkRate('10.0.0.1').ok).toBe(true);
    const r = a.checkRate('10.0.0.1');
    expect(r).toMatchObject({ ok: false, code: 'ERR_RATE_LIMITED' });
    expect(r.ok === false && r.retryAfterMs).toBe(12_000); // one join per 60/5 s
    // Other addresses share the overall bucket of 8: three more, then the crowd is refused.
    for (let i = 0; i < 3; i++) expect(a.checkRate(`10.0.1.${i}`).ok).toBe(true);
    expect(a.checkRate('10.0.2.1')).toMatchObject({ ok: false, code: 'ERR_RATE_LIMITED', message: expect.stringContaining('overall') });
    c.advance(12_000);
    expect(a.checkRate('10.0.0.1').ok).toBe(true);
    expect(a.status().refused.ERR_RATE_LIMITED).toBe(2);
  });

  it('makes a peer dropped for misbehaviour wait, by address and token, whatever its new peer id', () => {
    const c = clock();
    const a = new Admission(LIMITS, c.now);
    const counted: string[] = [];
    a.onRefused((code) => counted.push(code));
    expect(a.admit('10.0.0.1', 'tok').ok).toBe(true);
    expect(a.strike('10.0.0.1', 'tok')).toBe(10_000);
    a.release('10.0.0.1');
    const again = a.admit('10.0.0.1', 'tok');
    expect(again).toMatchObject({ ok: false, code: 'ERR_BACKOFF', retryAfterMs: 10_000 });
    // Another token from that address, or that token from elsewhere, is not held back.
    expect(a.admit('10.0.0.1', 'other').ok).toBe(true);
    expect(a.admit('10.0.0.2', 'tok').ok).toBe(true);
    c.advance(10_000);
    expect(a.admit('10.0.0.1', 'tok').ok).toBe(true);
    // Each further strike doubles the wait, up to the cap.
    expect(a.strike('10.0.0.1', 'tok')).toBe(20_000);
    expect(a.strike('10.0.0.1', 'tok')).toBe(40_000);
    expect(a.strike('10.0.0.1', 'tok')).toBe(40_000);
    expect(counted).toEqual(['ERR_BACKOFF']);
    expect(a.status().misbehaviourDrops).toBe(4);
  });

  it('counts as misbehaviour what a peer did, not what its network did', () => {
    for (const code of ['ERR_RESULT_REJECTED', 'ERR_SIGNALING', 'MALFORMED', 'ERR_BAD_MESSAGE'] as const) expect(isMisbehaviour(code)).toBe(true);
    for (const code of ['ERR_HEARTBEAT_TIMEOUT', 'ERR_DATA_CHANNEL_TIMEOUT', 'ERR_WEBRTC', 'TIMEOUT', 'ERR_TOKEN'] as const) expect(isMisbehaviour(code)).toBe(false);
  });

  it('sizes the default --max-peers from the model and the machine, never above the ceiling', () => {
    const GiB = 1024 ** 3;
    expect(defaultMaxPeers(100_000, 4 * GiB)).toBe(MAX_PEERS_CEILING);
    // The stlm-50m preset's 12.8M stored parameters: ~149 MiB a peer.
    const big = 12_821_952;
    expect(defaultMaxPeers(big, 4 * GiB)).toBe(Math.floor(GiB / bytesPerPeer(big)));
    expect(defaultMaxPeers(big, 4 * GiB)).toBe(6);
    expect(defaultMaxPeers(big, 32 * GiB)).toBe(55);
    expect(peerMemoryBudget(2 * GiB)).toBe(GiB);
    expect(defaultMaxPeers(1e9, 4 * GiB)).toBe(2);
  });
});

describe('bounded tables', () => {
  it('the join-rate table forgets the least recently seen address past its bound', () => {
    const limiter = new JoinRateLimiter({ burst: 1, perMinute: 1 }, { burst: 1e9, perMinute: 1e9 }, 0);
    for (let i = 0; i < MAX_TRACKED_ADDRESSES + 500; i++) limiter.take(`a${i}`, 0);
    expect(limiter.trackedAddresses).toBe(MAX_TRACKED_ADDRESSES);
    // The newest address is still remembered (its bucket is empty).
    expect(limiter.take(`a${MAX_TRACKED_ADDRESSES + 499}`, 0)).toMatchObject({ ok: false, scope: 'address' });
  });

  it('the backoff table keeps at most MAX_ENTRIES and forgets a key after forgetMs', () => {
    const b = new MisbehaviourBackoff({ baseMs: 1000, maxMs: 1000, forgetMs: 5000 });
    for (let i = 0; i < MAX_ENTRIES + 10; i++) b.strike(`a${i}`, 't', 0);
    expect(b.size).toBe(MAX_ENTRIES);
    expect(b.waitFor('a0', 't', 0)).toBe(0);
    expect(b.waitFor(`a${MAX_ENTRIES + 9}`, 't', 0)).toBe(1000);
    expect(b.waitFor(`a${MAX_ENTRIES + 9}`, 't', 6000)).toBe(0);
    expect(b.size).toBe(MAX_ENTRIES - 1);
  });
});

describe('addressKey', () => {
  it('counts IPv4 and loopback addresses as they are, IPv6 ones by their /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::1')).toBe('::1');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::5')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1')).toBe('fe80:0:0:0::/64');
  });
});
