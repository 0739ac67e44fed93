// Throttles guessing of the admin token: an address that gave a wrong token MAX_FAILURES times within a
// window is refused (429) until the window ends, whatever it sends, so the admin routes are no oracle for
// trying tokens at network speed.

const MAX_FAILURES = 5;
const WINDOW_MS = 60_000;
/** Addresses remembered at most (the oldest is forgotten first), so the table itself stays small. */
const MAX_ADDRESSES = 1024;

export class ProbeThrottle {
  private readonly failures = new Map<string, { since: number; count: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds until `address` may try again, or 0 if it may now. */
  blockedFor(address: string): number {
    const f = this.failures.get(address);
    if (!f) return 0;
    const left = f.since + WINDOW_MS - this.now();
    if (left <= 0) {
      this.failures.delete(address);
      return 0;
    }
    return f.count >= MAX_FAILURES ? Math.ceil(left / 1000) : 0;
  }

  recordFailure(address: string): void {
    const f = this.failures.get(address);
    if (f && f.since + WINDOW_MS > this.now()) f.count += 1;
    else {
      this.failures.delete(address);
      this.failures.set(address, { since: this.now(), count: 1 });
      if (this.failures.size > MAX_ADDRESSES) this.failures.delete(this.failures.keys().next().value!);
    }
  }
}
