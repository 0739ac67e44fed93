// Admission control: who may take a peer slot. Every join attempt passes the join-rate limits (per address
// and overall) before its token is even compared; a join with the right token then passes the misbehaviour
// backoff, the per-address limit and --max-peers. A refusal is a coded error with `retryAfterMs` where
// waiting helps, and is counted by code for /api/status and /metrics. A slot is held from the welcome until
// the session ends, connecting peers included: a peer that never opens its data channel still costs one.
import type { ErrorCode } from '../../protocol/errors.ts';
import type { AdmissionStatus } from '../../protocol/status.ts';
import { JoinRateLimiter } from './join-rate.ts';
import { MisbehaviourBackoff } from './misbehaviour-backoff.ts';

export interface AdmissionLimits {
  maxPeers: number;
  maxPeersPerAddress: number;
  /** Joins per minute from one address (also its burst). */
  joinsPerMinutePerAddress: number;
  /** Joins per minute from everyone together (also the burst). */
  joinsPerMinute: number;
  /** Rejoin wait after a first drop for misbehaviour; doubles per strike up to `maxBackoffMs`. */
  backoffMs: number;
  maxBackoffMs: number;
}

export type RefusalCode = Extract<ErrorCode, 'ERR_FULL' | 'ERR_ADDRESS_LIMIT' | 'ERR_RATE_LIMITED' | 'ERR_BACKOFF'>;
const REFUSAL_CODES: readonly RefusalCode[] = ['ERR_FULL', 'ERR_ADDRESS_LIMIT', 'ERR_RATE_LIMITED', 'ERR_BACKOFF'];

export type Verdict = { ok: true } | { ok: false; code: RefusalCode; message: string; retryAfterMs: number };

/** A strike's memory: a key with no new strike for an hour is forgotten. */
const FORGET_STRIKES_MS = 60 * 60_000;
/** How long a peer refused for a full coordinator or address is asked to wait (its backoff adds jitter). */
const RETRY_WHEN_FULL_MS = 10_000;

/** Drops that are a peer's own doing: its next join with the same token from the same address waits. A
 * drop that a bad network explains (heartbeat or data-channel timeouts, WebRTC failures, a stalled frame) is
 * no strike. */
const MISBEHAVIOUR: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_BAD_MESSAGE', 'ERR_UNEXPECTED', 'ERR_RESULT_REJECTED', 'ERR_SIGNALING', 'ERR_BAD_SIGNAL',
  'MALFORMED', 'TOO_LARGE', 'BAD_VERSION', 'INVALID', 'CHECKSUM', 'BAD_CODEC', 'NON_FINITE', 'LENGTH_MISMATCH', 'OVERLOADED',
]);

export function isMisbehaviour(code: ErrorCode): boolean {
  return MISBEHAVIOUR.has(code);
}

export class Admission {
  private readonly rate: JoinRateLimiter;
  private readonly backoff: MisbehaviourBackoff;
  private readonly perAddress = new Map<string, number>();
  private held = 0;
  private readonly refused = Object.fromEntries(REFUSAL_CODES.map((c) => [c, 0])) as Record<RefusalCode, number>;
  private strikes = 0;
  private readonly listeners: Array<(code: RefusalCode) => void> = [];

  constructor(
    readonly limits: AdmissionLimits,
    private readonly now: () => number = Date.now,
  ) {
    const perAddress = { burst: limits.joinsPerMinutePerAddress, perMinute: limits.joinsPerMinutePerAddress };
    this.rate = new JoinRateLimiter(perAddress, { burst: limits.joinsPerMinute, perMinute: limits.joinsPerMinute }, now());
    this.backoff = new MisbehaviourBackoff({ baseMs: limits.backoffMs, maxMs: limits.maxBackoffMs, forgetMs: FORGET_STRIKES_MS });
  }

  /** Every join attempt, before its token is checked: so token guessing is as slow as the join rate. */
  checkRate(address: string): Verdict {
    const r = this.rate.take(address, this.now());
    if (r.ok) return r;
    const who = r.scope === 'address' ? `from ${address} (at most ${this.limits.joinsPerMinutePerAddress} a minute)` : `overall (at most ${this.limits.joinsPerMinute} a minute)`;
    return this.refuse('ERR_RATE_LIMITED', `too many joins ${who}; retry in ${seconds(r.retryAfterMs)} s`, r.retryAfterMs);
  }

  /** A join with the right token: takes a slot, or says why not. Call release(address) when it ends. */
  admit(address: string, token: string): Verdict {
    const wait = this.backoff.waitFor(address, token, this.now());
    if (wait > 0) {
      return this.refuse('ERR_BACKOFF', `a peer from ${address} with this token was dropped for misbehaviour; rejoin in ${seconds(wait)} s`, wait);
    }
    if ((this.perAddress.get(address) ?? 0) >= this.limits.maxPeersPerAddress) {
      return this.refuse('ERR_ADDRESS_LIMIT', `${address} has ${this.limits.maxPeersPerAddress} peers connected already (--max-peers-per-address)`, RETRY_WHEN_FULL_MS);
    }
    if (this.held >= this.limits.maxPeers) {
      return this.refuse('ERR_FULL', `the coordinator serves ${this.limits.maxPeers} peers already (--max-peers)`, RETRY_WHEN_FULL_MS);
    }
    this.held += 1;
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    return { ok: true };
  }

  release(address: string): void {
    const n = this.perAddress.get(address) ?? 0;
    if (n <= 0) return;
    this.held -= 1;
    if (n === 1) this.perAddress.delete(address);
    else this.perAddress.set(address, n - 1);
  }

  /** A peer of (address, token) was dropped for misbehaviour: its next join waits; returns how long. */
  strike(address: string, token: string): number {
    this.strikes += 1;
    return this.backoff.strike(address, token, this.now());
  }

  onRefused(cb: (code: RefusalCode) => void): void {
    this.listeners.push(cb);
  }

  status(): AdmissionStatus {
    const { maxPeers, maxPeersPerAddress, joinsPerMinutePerAddress, joinsPerMinute } = this.limits;
    return {
      maxPeers, maxPeersPerAddress, joinsPerMinutePerAddress, joinsPerMinute,
      peers: this.held,
      refused: { ...this.refused },
      misbehaviourDrops: this.strikes,
    };
  }

  private refuse(code: RefusalCode, message: string, retryAfterMs: number): Verdict {
    this.refused[code] += 1;
    for (const l of this.listeners) l(code);
    return { ok: false, code, message, retryAfterMs };
  }
}

/** The key admission counts an address under. One IPv6 host usually holds a whole /64 (SLAAC, privacy
 * addresses), so a peer could take a fresh address per join: IPv6 addresses count by their /64. */
export function addressKey(address: string): string {
  if (!address.includes(':') || address === '::1') return address;
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => (parseInt(g, 16) || 0).toString(16)).join(':')}::/64`;
}

function seconds(ms: number): number {
  return Math.ceil(ms / 1000);
}

/** What a coordinator budgets per peer: a model state queued to it, its result reassembling and then decoded
 * (three fp32 copies of the model), plus about 2 MiB for its RTCPeerConnection, SCTP buffers and socket. */
export function bytesPerPeer(numParams: number): number {
  return 3 * 4 * numParams + 2 * 1024 * 1024;
}

/** Memory the default --max-peers lets the peers take together: a quarter of the machine's, at least 1 GiB. */
export function peerMemoryBudget(machineBytes: number): number {
  return Math.max(1024 ** 3, Math.floor(machineBytes / 4));
}
/** One event loop drives every data channel and sends every model state: past this many peers a round's
 * broadcast and aggregation, not the peers, set the pace (and each RTCPeerConnection costs native threads). */
export const MAX_PEERS_CEILING = 64;

/** The default --max-peers for a model of `numParams` parameters on a machine with `machineBytes` of memory:
 * what fits the peer memory budget, at least 2, at most 64. */
export function defaultMaxPeers(numParams: number, machineBytes: number): number {
  const fit = Math.floor(peerMemoryBudget(machineBytes) / bytesPerPeer(numParams));
  return Math.max(2, Math.min(MAX_PEERS_CEILING, fit));
}
