// When a peer tries the coordinator again. Exponential backoff with jitter and a cap: each failure doubles the
// wait, and a session that ended soon after it began (a peer kicked right after joining) is a failure too, so
// such a peer does not rejoin every half second forever; only a session that lasted `stableMs` resets it. A
// coordinator's `retryAfterMs` (a full coordinator, a misbehaviour backoff) is a floor. A permanent refusal
// (wrong token, another protocol version, a model this peer cannot hold, the relay it insists on refused by a
// coordinator that does not relay) stops it: retrying cannot help.
import type { ErrorCode } from '../../protocol/errors.ts';

export const PERMANENT_REFUSALS = ['ERR_TOKEN', 'ERR_PROTOCOL_VERSION', 'ERR_MODEL_TOO_LARGE', 'ERR_RELAY_DISABLED'] as const satisfies readonly ErrorCode[];
export type PermanentRefusal = (typeof PERMANENT_REFUSALS)[number];

export function isPermanentRefusal(code: ErrorCode | undefined): code is PermanentRefusal {
  return code !== undefined && (PERMANENT_REFUSALS as readonly ErrorCode[]).includes(code);
}

export interface ReconnectPolicy {
  /** Wait after the first failure (before jitter). */
  minMs: number;
  /** Longest wait (before jitter), however many failures. */
  maxMs: number;
  /** A session that lasted this long was a success: the next failure starts from minMs again. */
  stableMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { minMs: 500, maxMs: 60_000, stableMs: 60_000 };
/** The most a coordinator's retryAfterMs may make a peer wait (a coordinator cannot park it for days). */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;

/** How one attempt ended: a join that failed, or a session that closed. */
export interface AttemptOutcome {
  /** How long the session ran with an open data channel; undefined when the join itself failed. */
  connectedMs?: number;
  code?: ErrorCode;
  retryAfterMs?: number;
}

export type NextStep = { stop: true; code: PermanentRefusal } | { stop: false; delayMs: number; failures: number };

export class ReconnectBackoff {
  private failures = 0;

  constructor(
    private readonly policy: ReconnectPolicy = DEFAULT_RECONNECT,
    private readonly random: () => number = Math.random,
  ) {}

  next(o: AttemptOutcome): NextStep {
    if (isPermanentRefusal(o.code)) return { stop: true, code: o.code };
    if (o.connectedMs !== undefined && o.connectedMs >= this.policy.stableMs) this.failures = 0;
    this.failures += 1;
    const base = Math.min(this.policy.maxMs, this.policy.minMs * 2 ** Math.min(this.failures - 1, 30));
    // Jitter in [base/2, base): peers dropped together (a coordinator restart) do not return together.
    const jittered = base * (0.5 + this.random() / 2);
    const floor = Math.min(o.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS);
    return { stop: false, delayMs: Math.round(Math.max(jittered, floor)), failures: this.failures };
  }
}
