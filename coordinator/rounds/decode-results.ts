// Turns a round's results into contributions the aggregator may use: decode each payload (only the run's codec:
// a payload in another, e.g. a top-k one in an int8 run, is refused before it is decoded), then the shared screen (NaN/Inf, wrong length, norm outliers), then our own checks that the
// result says what it trained on (some scored bytes, a finite loss). Everything refused comes back with a
// reason, so the caller can count it per peer and put those batches back.
import { codecByName, decodeGradient } from '../../protocol/codecs/index.ts';
import { readCodecHeader } from '../../protocol/codecs/header.ts';
import { screenContributions, type Contribution } from '../aggregate/index.ts';

export interface ScreenableResult {
  peerId: string;
  bytes: number;
  loss: number;
  payload: { gradient: Uint8Array };
}

export interface ScreenedResults {
  accepted: Contribution[];
  rejected: Array<{ peerId: string; reason: string }>;
  /** Payload bytes received (accepted or not). */
  wireBytesIn: number;
}

export function screenResults(results: Iterable<ScreenableResult>, numParams: number, codec: string): ScreenedResults {
  const expected = codecByName(codec);
  const rejected: ScreenedResults['rejected'] = [];
  const decoded: Contribution[] = [];
  const lossOf = new Map<string, number>();
  let wireBytesIn = 0;
  for (const r of results) {
    wireBytesIn += r.payload.gradient.byteLength;
    lossOf.set(r.peerId, r.loss);
    const header = readCodecHeader(r.payload.gradient);
    if (header.ok && header.codecId !== expected.id) {
      rejected.push({ peerId: r.peerId, reason: `wrong codec: codec id ${header.codecId}, this run uses ${expected.name}` });
      continue;
    }
    const g = decodeGradient(r.payload.gradient, numParams);
    if (g.ok) decoded.push({ peerId: r.peerId, vector: g.vector, weight: r.bytes });
    else rejected.push({ peerId: r.peerId, reason: `undecodable gradient: ${g.error.message}` });
  }
  const screened = screenContributions(decoded, numParams);
  for (const rej of screened.rejected) rejected.push({ peerId: rej.peerId, reason: rej.reason });
  const accepted = screened.accepted.filter((c) => {
    const why = !(c.weight > 0) ? 'no-scored-bytes' : Number.isFinite(lossOf.get(c.peerId)) ? undefined : 'non-finite-loss';
    if (why) rejected.push({ peerId: c.peerId, reason: why });
    return why === undefined;
  });
  return { accepted, rejected, wireBytesIn };
}
