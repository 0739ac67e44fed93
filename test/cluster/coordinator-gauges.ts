// Samples a coordinator's own gauges from /metrics (prom-client's process metrics under stlm_process_) and its
// round from /api/status, so a test can report peak memory and event-loop lag and the pace of its rounds.
import type { RoundRecord } from '../../protocol/status.ts';

export interface GaugeSample {
  at: number;
  round: number;
  /** The status's recent rounds (the last 50). */
  recent: RoundRecord[];
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  /** The longest event-loop delay since the previous scrape (prom-client resets it on each collect). */
  lagMaxSeconds: number;
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

export async function sampleGauges(url: string): Promise<GaugeSample> {
  const [metrics, status] = await Promise.all([
    fetch(`${url}/metrics`).then((r) => r.text()),
    fetch(`${url}/api/status`).then((r) => r.json() as Promise<{ round: number; recentLoss: RoundRecord[] }>),
  ]);
  return {
    at: Date.now(),
    round: status.round,
    recent: status.recentLoss,
    rssBytes: metric(metrics, 'stlm_process_process_resident_memory_bytes'),
    heapUsedBytes: metric(metrics, 'stlm_process_nodejs_heap_size_used_bytes'),
    externalBytes: metric(metrics, 'stlm_process_nodejs_external_memory_bytes'),
    lagMaxSeconds: metric(metrics, 'stlm_process_nodejs_eventloop_lag_max_seconds'),
  };
}

/** Samples every `everyMs` until stopped; the samples so far. */
export function startSampling(url: string, everyMs: number): { samples: GaugeSample[]; failures: string[]; stop(): Promise<void> } {
  const samples: GaugeSample[] = [];
  const failures: string[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      // A coordinator that stops answering is a finding, not a crash of the sampler.
      // One retry: a keep-alive connection the server closed at that instant fails once, harmlessly.
      await sampleGauges(url)
        .catch(() => sampleGauges(url))
        .then((s) => samples.push(s), (e: Error) => failures.push(e.message));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    samples,
    failures,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** Rounds per second over a run of samples. */
export function roundRate(samples: GaugeSample[]): number {
  if (samples.length < 2) return 0;
  const a = samples[0]!;
  const b = samples.at(-1)!;
  return ((b.round - a.round) * 1000) / Math.max(1, b.at - a.at);
}

/** The rounds that ended between the first and the last of `samples`. */
export function roundsWithin(samples: GaugeSample[]): RoundRecord[] {
  if (samples.length < 2) return [];
  const from = samples[0]!.round;
  const byRound = new Map<number, RoundRecord>();
  for (const s of samples) for (const r of s.recent) if (r.round >= from) byRound.set(r.round, r);
  return [...byRound.values()].sort((a, b) => a.round - b.round);
}

/** Milliseconds of a round not spent computing on the slowest peer: transfer, aggregation, broadcast, waiting. */
export function coordinatorOverheadMs(r: RoundRecord): number {
  return r.durationMs - (r.timing?.computeMs ?? 0);
}
