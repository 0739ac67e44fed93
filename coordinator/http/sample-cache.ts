// GET /api/sample without freezing the run. Generating a sample runs the model on the coordinator's event
// loop (hundreds of milliseconds for 400 bytes), and the route needs no token (any page can fire it with an
// <img>), so a client calling it in a loop used to stretch every round several times over. Now a sample is
// generated at most once per model round and prompt, and at most one generation runs per interval; a
// request in between gets the latest sample for its prompt, or 429 with Retry-After. The interval also
// stretches to SAMPLE_DUTY_FACTOR times the last generation's duration (a generation yields between bytes
// but still costs its CPU), so samples never take more than a fifth of the coordinator's time.

export interface Sample {
  text: string;
  round: number;
}

export interface SampleCacheOptions {
  generate(prompt: string, maxBytes: number): Sample | Promise<Sample>;
  /** The master model's current round (a sample of an older round is regenerated). */
  currentRound(): number;
  /** Default 5 s. */
  minIntervalMs?: number;
  now?(): number;
}

export class SampleRateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super(`a sample was generated less than ${retryAfterSeconds} s ago; try again then`);
  }
}

const MAX_ENTRIES = 16;
/** The next generation waits at least this many times as long as the last one took. */
export const SAMPLE_DUTY_FACTOR = 4;

export class SampleCache {
  private readonly cache = new Map<string, Sample>();
  private lastGeneration = Number.NEGATIVE_INFINITY;
  private lastDurationMs = 0;
  private readonly minIntervalMs: number;
  private readonly now: () => number;

  constructor(private readonly o: SampleCacheOptions) {
    this.minIntervalMs = o.minIntervalMs ?? 5_000;
    this.now = o.now ?? Date.now;
  }

  async get(prompt: string, maxBytes: number): Promise<Sample> {
    const key = `${maxBytes}\u0000${prompt}`;
    const cached = this.cache.get(key);
    if (cached && cached.round === this.o.currentRound()) return cached;
    const wait = this.lastGeneration + Math.max(this.minIntervalMs, (1 + SAMPLE_DUTY_FACTOR) * this.lastDurationMs) - this.now();
    if (wait > 0) {
      if (cached) return cached;
      throw new SampleRateLimited(Math.ceil(wait / 1000));
    }
    const started = this.now();
    this.lastGeneration = started;
    this.lastDurationMs = 0;
    const sample = await this.o.generate(prompt, maxBytes);
    this.lastDurationMs = this.now() - started;
    this.cache.delete(key);
    this.cache.set(key, sample);
    if (this.cache.size > MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    return sample;
  }
}
