// Screens a round's contributions before aggregation. The rules, in order, per contribution:
//   wrong-length  the vector does not have the model's parameter count;
//   bad-weight    the claimed byte count is not a finite number >= 0;
//   non-finite    any value is NaN or +-Infinity;
//   norm-unusable an L2 norm above MAX_USABLE_NORM (1e18), whatever the round: its square, which gradient
//                 clipping takes, would overflow float32 (largest value 3.4e38), and no honest gradient or
//                 pseudo-gradient comes near it;
//   norm-outlier  with at least `minForNormCheck` (3) contributions left after the checks above, an L2 norm
//                 more than `maxNormRatio` (10) times the median norm of those, or less than median / 10.
//                 Skipped when the median norm is 0 (nothing to compare against).
// Why a ratio to the median: honest peers' gradient norms on same-sized batches sit within a small factor
// of each other, while a broken or hostile peer is usually off by orders of magnitude; the median of the
// round is a reference that a minority cannot move.
import { l2Norm, medianOf, type Contribution } from './aggregator.ts';

export type RejectionReason = 'wrong-length' | 'bad-weight' | 'non-finite' | 'norm-unusable' | 'norm-outlier';

export const MAX_USABLE_NORM = 1e18;

export interface ScreenOptions {
  /** Default 10. */
  maxNormRatio?: number;
  /** Default 3: with fewer, there is no meaningful "rest of the round". */
  minForNormCheck?: number;
}

export interface ScreenResult {
  accepted: Contribution[];
  rejected: Array<{ peerId: string; reason: RejectionReason }>;
  /** L2 norm of every contribution that passed the length and finiteness checks, by peer. */
  norms: Map<string, number>;
}

export interface NormBounds {
  lower: number;
  upper: number;
}

export type ScreenOneResult = { ok: true; norm: number } | { ok: false; reason: RejectionReason };

/** The per-contribution checks, in the order above; `bounds` (when given) is the norm-outlier check. */
export function screenOne(c: Contribution, expectedLength: number, bounds?: NormBounds): ScreenOneResult {
  if (!(c.vector instanceof Float32Array) || c.vector.length !== expectedLength) return { ok: false, reason: 'wrong-length' };
  if (!Number.isFinite(c.weight) || c.weight < 0) return { ok: false, reason: 'bad-weight' };
  const norm = l2Norm(c.vector);
  // NaN or Infinity anywhere makes the sum of squares non-finite (a finite float32's square cannot
  // overflow a float64), so one pass answers both questions.
  if (!Number.isFinite(norm)) return { ok: false, reason: 'non-finite' };
  if (norm > MAX_USABLE_NORM) return { ok: false, reason: 'norm-unusable' };
  if (bounds && !withinBounds(norm, bounds)) return { ok: false, reason: 'norm-outlier' };
  return { ok: true, norm };
}

export function withinBounds(norm: number, b: NormBounds): boolean {
  return norm <= b.upper && norm >= b.lower;
}

/** Bounds around a reference norm; undefined when the reference is 0 (nothing to compare against). */
export function boundsAround(reference: number, maxNormRatio: number): NormBounds | undefined {
  if (!(maxNormRatio > 1)) throw new Error(`norm screen: maxNormRatio must be > 1, got ${maxNormRatio}`);
  return reference > 0 ? { lower: reference / maxNormRatio, upper: reference * maxNormRatio } : undefined;
}

export function screenContributions(contributions: Contribution[], expectedLength: number, opts: ScreenOptions = {}): ScreenResult {
  const ratio = opts.maxNormRatio ?? 10;
  const minForNormCheck = opts.minForNormCheck ?? 3;
  if (!(ratio > 1)) throw new Error(`screenContributions: maxNormRatio must be > 1, got ${ratio}`);
  const rejected: ScreenResult['rejected'] = [];
  const finite: Array<{ c: Contribution; norm: number }> = [];
  const norms = new Map<string, number>();
  for (const c of contributions) {
    const r = screenOne(c, expectedLength);
    if (!r.ok) {
      rejected.push({ peerId: c.peerId, reason: r.reason });
      continue;
    }
    norms.set(c.peerId, r.norm);
    finite.push({ c, norm: r.norm });
  }
  const bounds = finite.length >= minForNormCheck ? boundsAround(medianOf(finite.map((f) => f.norm)), ratio) : undefined;
  if (!bounds) return { accepted: finite.map((f) => f.c), rejected, norms };
  const accepted: Contribution[] = [];
  for (const { c, norm } of finite) {
    if (withinBounds(norm, bounds)) accepted.push(c);
    else rejected.push({ peerId: c.peerId, reason: 'norm-outlier' });
  }
  return { accepted, rejected, norms };
}
