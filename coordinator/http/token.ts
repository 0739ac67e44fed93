// Shared-secret checks: the peers' join token (peers/session.ts) and the dashboard's admin token (http/web.ts).
import { timingSafeEqual } from 'node:crypto';

/** Constant-time comparison, so the time to refuse does not reveal how much of a token was right. */
export function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
