// Samples a coordinator's own gauges from /metrics (prom-client's process metrics under stlm_process_) and its
// round from /api/status, so a test can report peak memory and event-loop lag and the pace of its rounds.

export interface GaugeSample {
  at: number;
  round: number;
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
    fetch(`${url}/api/status`).then((r) => r.json() as Promise<{ round: number }>),
  ]);
  return {
    at: Date.now(),
    round: status.round,
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
      await sampleGauges(url).then((s) => samples.push(s), (e: Error) => failures.push(e.message));
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
