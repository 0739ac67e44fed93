// The checks a result passes on arrival, before it is kept for the round or decoded: only its codec header
// and its size are read (no CRC, no decode), so a result that cannot be used costs nothing but its bytes
// and never waits in memory until the round ends. Round, version and batch ids are the collector's checks.
import { codecByName, readCodecHeader } from '../../protocol/codecs/index.ts';
import { codecPayloadBytes } from '../../protocol/model-limits.ts';

/** Why a result's gradient payload cannot be this run's (codec, parameter count, size), or undefined. */
export function checkResultPayload(payload: Uint8Array, numParams: number, codec: string): string | undefined {
  const h = readCodecHeader(payload);
  if (!h.ok) return `undecodable gradient: ${h.error.message}`;
  const expected = codecByName(codec);
  if (h.codecId !== expected.id) return `wrong codec: codec id ${h.codecId}, this run uses ${expected.name}`;
  if (h.length !== numParams) return `wrong length: ${h.length} values, the model has ${numParams}`;
  const max = codecPayloadBytes(numParams, codec);
  if (payload.byteLength > max) return `oversized gradient: ${payload.byteLength} bytes, ${expected.name} needs at most ${max}`;
  return undefined;
}
