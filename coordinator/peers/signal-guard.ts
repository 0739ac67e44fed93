// Bounds on one peer's WebRTC signaling, checked before simple-peer sees a signal. The coordinator makes the
// offer, so a peer sends exactly one answer and its ICE candidates, all before the data channel opens:
//  - at most MAX_SIGNALS signals, at most RATE per second after a burst of BURST (a flood ends the session);
//  - an offer, a renegotiation or transceiver request, or a second answer ends the session (no renegotiation:
//    the one data channel is all a peer gets);
//  - an answer's SDP is at most MAX_SDP_BYTES, a candidate line at most MAX_CANDIDATE_BYTES;
//  - candidates for addresses that are not sensible (candidate-address.ts) are dropped, from a candidate
//    signal and from the answer's SDP alike; candidates after the channel opened are ignored.
import { z } from 'zod';
import { candidateRefusal, type CandidateContext } from './candidate-address.ts';
import { TokenBucket } from './join-rate.ts';

/** One answer and candidates: a host with several interfaces, UDP and TCP, IPv4 and IPv6 gathers ~20. */
export const MAX_SIGNALS = 64;
export const SIGNAL_BURST = 40;
export const SIGNALS_PER_SECOND = 10;
/** A data-channel-only answer is 1-3 KiB; inline candidates add ~100 bytes each. */
export const MAX_SDP_BYTES = 12 * 1024;
/** RFC 8839 candidate lines are well under 300 bytes, extensions included. */
export const MAX_CANDIDATE_BYTES = 512;

const answerSchema = z.object({ type: z.literal('answer'), sdp: z.string().max(MAX_SDP_BYTES) });
const candidateSchema = z.object({
  type: z.literal('candidate').optional(),
  candidate: z.object({
    candidate: z.string().max(MAX_CANDIDATE_BYTES),
    sdpMLineIndex: z.int().min(0).max(64).nullable().optional(),
    sdpMid: z.string().max(32).nullable().optional(),
    usernameFragment: z.string().max(256).nullable().optional(),
  }),
});

export type SignalVerdict =
  | { action: 'apply'; data: z.infer<typeof answerSchema> | z.infer<typeof candidateSchema> }
  | { action: 'ignore'; why: string }
  | { action: 'refuse'; why: string };

export class SignalGuard {
  private count = 0;
  private answered = false;
  private open = false;
  private readonly rate: TokenBucket;

  constructor(
    private readonly ctx: CandidateContext,
    private readonly now: () => number = Date.now,
  ) {
    this.rate = new TokenBucket({ burst: SIGNAL_BURST, perMinute: SIGNALS_PER_SECOND * 60 }, now());
  }

  /** The data channel is open: signaling is over. */
  markOpen(): void {
    this.open = true;
  }

  check(data: unknown): SignalVerdict {
    this.count += 1;
    if (this.count > MAX_SIGNALS) return { action: 'refuse', why: `more than ${MAX_SIGNALS} signal messages` };
    if (!this.rate.take(this.now()).ok) return { action: 'refuse', why: `more than ${SIGNALS_PER_SECOND} signal messages a second` };
    const kind = (data as { type?: unknown }).type;
    if (kind === 'answer') return this.answer(data);
    if (kind === 'candidate' || (kind === undefined && 'candidate' in (data as object))) return this.candidate(data);
    if (kind === 'offer' || kind === 'renegotiate' || kind === 'transceiverRequest' || 'renegotiate' in (data as object)) {
      return { action: 'refuse', why: `a "${String(kind ?? 'renegotiate')}" signal: the coordinator offers, and never renegotiates` };
    }
    return { action: 'refuse', why: 'not an answer or an ICE candidate' };
  }

  private answer(data: unknown): SignalVerdict {
    if (this.answered || this.open) return { action: 'refuse', why: 'a second answer: renegotiation is not allowed' };
    const a = answerSchema.safeParse(data);
    if (!a.success) return { action: 'refuse', why: `an answer that is not valid (SDP over ${MAX_SDP_BYTES} bytes?)` };
    this.answered = true;
    const lines = a.data.sdp.split(/\r?\n/);
    const kept = lines.filter((l) => !l.startsWith('a=candidate:') || candidateRefusal(l, this.ctx) === undefined);
    return { action: 'apply', data: { type: 'answer', sdp: kept.join('\r\n') } };
  }

  private candidate(data: unknown): SignalVerdict {
    const c = candidateSchema.safeParse(data);
    if (!c.success) return { action: 'refuse', why: `an ICE candidate that is not valid (over ${MAX_CANDIDATE_BYTES} bytes?)` };
    if (this.open) return { action: 'ignore', why: 'a candidate after the data channel opened' };
    const line = c.data.candidate.candidate;
    if (line === '') return { action: 'ignore', why: 'end of candidates' };
    const refusal = candidateRefusal(line, this.ctx);
    if (refusal) return { action: 'ignore', why: `candidate dropped: ${refusal}` };
    return { action: 'apply', data: { type: 'candidate', candidate: c.data.candidate } };
  }
}
