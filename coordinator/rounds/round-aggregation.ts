// One round's aggregation, streamed: each result is checked, decoded and folded into one accumulator as it
// arrives, and its payload and decoded vector are dropped; the round holds O(params) (robust rules that need
// every value hold at most a fixed number of vectors, aggregate/buffered.ts). In order, per result:
//   non-finite-loss / no-scored-bytes   what the result says it trained on is not usable (before decoding);
//   wrong codec                          only the run's codec is decoded;
//   undecodable gradient                 the codec refuses it;
//   the shared screen                    wrong length, NaN/Inf, a norm too large to use (aggregate/screen.ts);
//   replay                               the payload repeats a usable one seen before (replay-guard.ts; only
//                                        usable payloads are remembered, so garbage cannot fill its window);
//   norm-outlier                         outside the bounds from the history of accepted norms (norm-history.ts).
// A result outside the history's bounds is held (its payload, not its decoded vector) until the round ends:
// if most of the round lies outside them the history is stale (honest norms moved), so the held ones are
// judged against the round's own median norm instead; otherwise they are rejected. Before the history has
// rounds, every result is judged that way, as the screen always did.
import { codecByName, decodeGradient, type GradientCodec } from '../../protocol/codecs/index.ts';
import { readCodecHeader } from '../../protocol/codecs/header.ts';
import { medianOf } from '../aggregate/aggregator.ts';
import { boundsAround, screenOne, withinBounds, type NormBounds } from '../aggregate/screen.ts';
import type { Accumulator, Aggregator, Contribution, NormHistory } from '../aggregate/index.ts';
import type { ReplayGuard } from './replay-guard.ts';

export interface OfferedResult {
  peerId: string;
  bytes: number;
  loss: number;
  payload: { gradient: Uint8Array };
}

export interface RoundAggregationOptions {
  round: number;
  numParams: number;
  codec: string;
  aggregator: Aggregator;
  history: NormHistory;
  replays: ReplayGuard;
  /** The round-median screen (no or stale history): within [median / r, median x r]. Default: the history's ratio. */
  roundNormRatio?: number;
  /** The round-median screen needs at least this many usable results. Default 3. */
  minForNormCheck?: number;
}

export interface AggregatedRound {
  /** The update to apply; undefined when nothing was accepted. */
  update: Float32Array | undefined;
  accepted: Array<{ peerId: string; norm: number }>;
  rejected: Array<{ peerId: string; reason: string }>;
  /** Payload bytes received (accepted or not). */
  wireBytesIn: number;
}

export class RoundAggregation {
  private readonly codec: GradientCodec;
  private readonly bounds: NormBounds | undefined;
  private acc: Accumulator | undefined;
  private readonly held: Array<{ r: OfferedResult; norm: number }> = [];
  private readonly accepted: AggregatedRound['accepted'] = [];
  private readonly rejected: AggregatedRound['rejected'] = [];
  private wireBytesIn = 0;
  private finished = false;

  constructor(private readonly o: RoundAggregationOptions) {
    this.codec = codecByName(o.codec);
    this.bounds = o.history.bounds();
  }

  /** Checks, decodes and folds in one result; returns why it was rejected, if it was (it may also be held). */
  offer(r: OfferedResult): string | undefined {
    if (this.finished) throw new Error('RoundAggregation.offer after finish');
    this.wireBytesIn += r.payload.gradient.byteLength;
    const checked = this.check(r);
    if ('reason' in checked) {
      this.rejected.push({ peerId: r.peerId, reason: checked.reason });
      return checked.reason;
    }
    if (this.bounds && withinBounds(checked.norm, this.bounds)) this.fold(checked.c, checked.norm, this.o.history.reference());
    else this.held.push({ r, norm: checked.norm });
    return undefined;
  }

  /** Results held until the round ends (their payloads only): those outside the history's bounds. */
  get holding(): number {
    return this.held.length;
  }

  /** Decides the held results and gives the round's update (nothing is applied here). */
  finish(): AggregatedRound {
    if (!this.finished) {
      this.finished = true;
      this.decideHeld();
    }
    const update = this.accepted.length > 0 ? this.acc!.finish() : undefined;
    return { update, accepted: [...this.accepted], rejected: [...this.rejected], wireBytesIn: this.wireBytesIn };
  }

  /** Everything but the norm bounds. */
  private check(r: OfferedResult): { reason: string } | { c: Contribution; norm: number } {
    if (!Number.isFinite(r.loss)) return { reason: 'non-finite-loss' };
    if (!(r.bytes > 0)) return { reason: 'no-scored-bytes' };
    const header = readCodecHeader(r.payload.gradient);
    if (header.ok && header.codecId !== this.codec.id) {
      return { reason: `wrong codec: codec id ${header.codecId}, this run uses ${this.codec.name}` };
    }
    const c = this.decode(r);
    if ('error' in c) return { reason: `undecodable gradient: ${c.error}` };
    const s = screenOne(c, this.o.numParams);
    if (!s.ok) return { reason: s.reason };
    const first = this.o.replays.check(r.payload.gradient, this.o.round);
    return first === undefined ? { c, norm: s.norm } : { reason: `replay: the same payload was sent in round ${first}` };
  }

  private decode(r: OfferedResult): Contribution | { error: string } {
    const g = decodeGradient(r.payload.gradient, this.o.numParams);
    return g.ok ? { peerId: r.peerId, vector: g.vector, weight: r.bytes } : { error: g.error.message };
  }

  private fold(c: Contribution, norm: number, reference: number | undefined): void {
    this.acc ??= this.o.aggregator.begin(this.o.numParams, reference);
    this.acc.add(c, norm);
    this.accepted.push({ peerId: c.peerId, norm });
  }

  private decideHeld(): void {
    if (this.held.length === 0) return;
    const usable = this.accepted.length + this.held.length;
    const historyStale = !this.bounds || this.held.length * 2 > usable;
    const norms = [...this.accepted.map((a) => a.norm), ...this.held.map((h) => h.norm)];
    const minForNormCheck = this.o.minForNormCheck ?? 3;
    const ratio = this.o.roundNormRatio ?? this.o.history.maxNormRatio;
    const roundMedian = medianOf(norms);
    const roundBounds = historyStale && usable >= minForNormCheck ? boundsAround(roundMedian, ratio) : undefined;
    for (const { r, norm } of this.held) {
      if (!historyStale || (roundBounds && !withinBounds(norm, roundBounds))) {
        this.rejected.push({ peerId: r.peerId, reason: 'norm-outlier' });
        continue;
      }
      // Decoded a second time: held results keep only their (smaller) payload, never a decoded vector.
      const c = this.decode(r);
      if ('error' in c) throw new Error(`round aggregation: a held payload no longer decodes (${c.error})`);
      this.fold(c, norm, roundMedian > 0 ? roundMedian : undefined);
    }
    this.held.length = 0;
  }
}
