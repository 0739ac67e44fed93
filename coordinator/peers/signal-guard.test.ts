import { describe, expect, it } from 'vitest';
import { MAX_CANDIDATE_BYTES, MAX_SDP_BYTES, MAX_SIGNALS, SIGNAL_BURST, SignalGuard } from './signal-guard.ts';
import { addressRefusal, candidateRefusal } from './candidate-address.ts';

const cand = (addr: string, port = 50000, proto = 'udp', extra = '') =>
  `candidate:1 1 ${proto} 2122260223 ${addr} ${port} typ host${extra} generation 0`;
const signal = (line: string) => ({ type: 'candidate', candidate: { candidate: line, sdpMLineIndex: 0, sdpMid: '0' } });
const REMOTE = { peerOnLoopback: false };
const LOCAL = { peerOnLoopback: true };

describe('candidate addresses', () => {
  it('accepts public, private LAN, CGNAT and mDNS addresses, and the tests\' loopback and veth ones', () => {
    for (const a of ['203.0.113.7', '10.77.0.2', '192.168.1.20', '172.16.5.4', '100.64.1.1', '2001:db8::1', 'fd12:3456::1',
      '8c5a3f0e-1b2c-4d5e-8f90-123456789abc.local']) expect(addressRefusal(a, REMOTE)).toBeUndefined();
    expect(addressRefusal('127.0.0.1', LOCAL)).toBeUndefined();
    expect(addressRefusal('::1', LOCAL)).toBeUndefined();
    expect(candidateRefusal(cand('10.77.0.1'), LOCAL)).toBeUndefined();
    expect(candidateRefusal(cand('10.77.0.1', 9, 'tcp', ' tcptype active'), REMOTE)).toBeUndefined();
  });

  it('refuses loopback from another host, link-local (metadata), unspecified, multicast, broadcast and host names', () => {
    expect(addressRefusal('127.0.0.1', REMOTE)).toMatch(/loopback/);
    expect(addressRefusal('::1', REMOTE)).toMatch(/loopback/);
    expect(addressRefusal('::ffff:127.0.0.1', REMOTE)).toMatch(/loopback/);
    expect(addressRefusal('169.254.169.254', REMOTE)).toMatch(/link-local/);
    expect(addressRefusal('fe80::1', REMOTE)).toMatch(/link-local/);
    expect(addressRefusal('0.0.0.0', LOCAL)).toMatch(/unspecified/);
    expect(addressRefusal('::', LOCAL)).toMatch(/unspecified/);
    expect(addressRefusal('239.255.255.250', LOCAL)).toMatch(/multicast/);
    expect(addressRefusal('255.255.255.255', LOCAL)).toMatch(/broadcast/);
    expect(addressRefusal('ff02::1', LOCAL)).toMatch(/multicast/);
    expect(addressRefusal('metadata.google.internal', LOCAL)).toMatch(/host name/);
    expect(addressRefusal('300.1.1.1', LOCAL)).toMatch(/host name/);
    expect(candidateRefusal(cand('10.0.0.1', 0), LOCAL)).toMatch(/port 0/);
    expect(candidateRefusal(cand('10.0.0.1', 5000, 'sctp'), LOCAL)).toMatch(/transport/);
    expect(candidateRefusal('candidate:garbage', LOCAL)).toMatch(/not a candidate/);
  });
});

describe('SignalGuard', () => {
  it('passes one answer and sensible candidates, dropping the others (from the SDP too)', () => {
    const g = new SignalGuard(REMOTE);
    const sdp = ['v=0', `a=${cand('203.0.113.7')}`, `a=${cand('127.0.0.1')}`, `a=${cand('169.254.169.254')}`, 'a=end-of-candidates', ''].join('\r\n');
    const v = g.check({ type: 'answer', sdp });
    expect(v.action).toBe('apply');
    const kept = (v as { data: { sdp: string } }).data.sdp;
    expect(kept).toContain('203.0.113.7');
    expect(kept).not.toContain('127.0.0.1');
    expect(kept).not.toContain('169.254');
    expect(g.check(signal(cand('203.0.113.8'))).action).toBe('apply');
    expect(g.check(signal(cand('127.0.0.1')))).toMatchObject({ action: 'ignore', why: expect.stringMatching(/loopback/) });
    expect(g.check(signal(''))).toMatchObject({ action: 'ignore' });
  });

  it('refuses renegotiation: an offer, a second answer, renegotiate and transceiver requests', () => {
    const g = new SignalGuard(LOCAL);
    expect(g.check({ type: 'offer', sdp: 'v=0' })).toMatchObject({ action: 'refuse' });
    expect(g.check({ type: 'renegotiate', renegotiate: true })).toMatchObject({ action: 'refuse' });
    expect(g.check({ renegotiate: true })).toMatchObject({ action: 'refuse' });
    expect(g.check({ type: 'transceiverRequest', transceiverRequest: { kind: 'audio' } })).toMatchObject({ action: 'refuse' });
    expect(g.check({ type: 'answer', sdp: 'v=0\r\n' }).action).toBe('apply');
    expect(g.check({ type: 'answer', sdp: 'v=0\r\n' })).toMatchObject({ action: 'refuse', why: expect.stringMatching(/renegotiation/) });
    const opened = new SignalGuard(LOCAL);
    opened.markOpen();
    expect(opened.check({ type: 'answer', sdp: 'v=0\r\n' })).toMatchObject({ action: 'refuse' });
    expect(opened.check(signal(cand('127.0.0.1')))).toMatchObject({ action: 'ignore' });
    expect(g.check({ what: 'ever' })).toMatchObject({ action: 'refuse' });
  });

  it('refuses an oversized SDP or candidate', () => {
    expect(new SignalGuard(LOCAL).check({ type: 'answer', sdp: 'x'.repeat(MAX_SDP_BYTES + 1) })).toMatchObject({ action: 'refuse' });
    expect(new SignalGuard(LOCAL).check(signal('candidate:' + 'x'.repeat(MAX_CANDIDATE_BYTES)))).toMatchObject({ action: 'refuse' });
  });

  it('refuses a flood: a burst past the rate, and more than MAX_SIGNALS in all', () => {
    let t = 0;
    const g = new SignalGuard(LOCAL, () => t);
    for (let i = 0; i < SIGNAL_BURST; i++) expect(g.check(signal(cand('10.0.0.1', 1000 + i))).action).toBe('apply');
    expect(g.check(signal(cand('10.0.0.1')))).toMatchObject({ action: 'refuse', why: expect.stringMatching(/a second/) });
    const slow = new SignalGuard(LOCAL, () => t);
    let last;
    for (let i = 0; i <= MAX_SIGNALS; i++) {
      t += 1000;
      last = slow.check(signal(cand('10.0.0.1', 1000 + i)));
    }
    expect(last).toMatchObject({ action: 'refuse', why: expect.stringMatching(new RegExp(`more than ${MAX_SIGNALS}`)) });
  });
});
