// Bounded memory per peer, end to end: a real coordinator process (tiny preset) and an honest Node peer
// training, while three clients built on the project's own client code misbehave at once:
//  - a trickler starts two partial messages as large as the coordinator accepts and sends one more frame of
//    each every 5 s (a deadline counted from the first frame must drop them; a per-frame refresh never would);
//  - a non-reader opens its data channel, then takes nothing (its WebRTC process is stopped) while it keeps
//    heart-beating over socket.io (model states to it coalesce; it is dropped as too slow);
//  - a stale sender sends 64 MB results for round 0 again and again (refused at their first frame);
// and GET /api/sample is called in a loop. The coordinator's own gauges (/metrics) are sampled throughout:
// external memory (and, with a wider allowance, RSS) stays within a small multiple of the model size over the
// baseline, the event loop never lags a second, and rounds keep their pace. The figures measured are printed (RESOURCES {...}).
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { killAll, startCoordinatorProcess, startPeerProcess, waitFor, type CoordinatorProc } from './cluster/processes.ts';
import { coordinatorOverheadMs, roundRate, roundsWithin, startSampling, type GaugeSample } from './cluster/coordinator-gauges.ts';
import { startNonReader, startStaleSender, startTrickler, type Misbehaver } from './cluster/misbehaving-peers.ts';
import { coordinatorLimits } from '../protocol/model-limits.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-resources-'));
const MiB = 1024 * 1024;
const misbehavers: Misbehaver[] = [];

afterAll(async () => {
  for (const m of misbehavers) m.stop();
  await killAll();
  rmSync(runDir, { recursive: true, force: true });
});

type Gauge = Exclude<keyof GaugeSample, 'recent'>;
const peak = (s: GaugeSample[], k: Gauge) => Math.max(...s.map((x) => x[k]));
const middle = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const median = (s: GaugeSample[], k: Gauge) => middle(s.map((x) => x[k]));

async function loopSamples(url: string, stopped: () => boolean): Promise<number> {
  let calls = 0;
  while (!stopped()) {
    await fetch(`${url}/api/sample?prompt=The&bytes=400`).then((r) => r.arrayBuffer()).catch(() => undefined);
    calls++;
  }
  return calls;
}

describe('a coordinator under misbehaving peers', () => {
  it('keeps its memory, event loop and round pace', async () => {
    const coord: CoordinatorProc = await startCoordinatorProcess([
      '--preset', 'tiny', '--run-dir', runDir, '--batch-size', '8', '--codec', 'int8', '--eval-every', '0',
      '--checkpoint-every', '0', '--no-consolidate', '--log-level', 'info',
      // Every misbehaving session comes back at once, as fast as it can: the harshest load on memory. (With the
      // default backoff, admission refuses their returns: test/cluster-admission.test.ts.) All share one
      // address, so the per-address limit must let them in too.
      '--misbehaviour-backoff', '0', '--max-peers-per-address', '16',
    ]);
    startPeerProcess(coord.url, coord.token);
    await waitFor('rounds with the honest peer', async () => (await coord.status()).round >= 8 || undefined, 60_000, coord);
    const numParams = (await coord.status()).numParams;
    const modelBytes = 4 * numParams;

    const sampling = startSampling(coord.url, 500);
    await new Promise((r) => setTimeout(r, 8_000));
    const baseline = sampling.samples.slice();

    let stopSamples = false;
    const sampleCalls = loopSamples(coord.url, () => stopSamples);
    const maxMessage = coordinatorLimits(numParams, 'int8').maxMessageBytes!;
    const trickler = await startTrickler(coord.url, coord.token, maxMessage, 5_000);
    const nonReader = await startNonReader(coord.url, coord.token);
    const stale = startStaleSender(coord.url, coord.token, 64 * MiB);
    misbehavers.push(trickler, nonReader, stale);
    const attackStart = Date.now();
    const trickleEnd = await Promise.race([trickler.closed, new Promise<string>((r) => setTimeout(() => r('still open'), 45_000))]);
    const trickleMs = Date.now() - attackStart;
    await nonReader.opened;
    const nonReaderEnd = await Promise.race([nonReader.closed, new Promise<string>((r) => setTimeout(() => r('still open'), 15_000))]);
    const nonReaderMs = (nonReader.closedAt() ?? Date.now()) - attackStart;
    stale.stop();
    stopSamples = true;
    const calls = await sampleCalls;
    await sampling.stop();
    const attack = sampling.samples.slice(baseline.length);

    const overhead = (xs: GaugeSample[]) => middle(roundsWithin(xs).map(coordinatorOverheadMs));
    const figures = {
      baselineOverheadMs: overhead(baseline), attackOverheadMs: overhead(attack),
      modelBytes, numParams,
      baselineRssMiB: median(baseline, 'rssBytes') / MiB, peakRssMiB: peak(attack, 'rssBytes') / MiB,
      baselineHeapMiB: median(baseline, 'heapUsedBytes') / MiB, peakHeapMiB: peak(attack, 'heapUsedBytes') / MiB,
      peakExternalMiB: peak(attack, 'externalBytes') / MiB,
      peakLagMs: peak(attack, 'lagMaxSeconds') * 1000, baselineLagMs: peak(baseline, 'lagMaxSeconds') * 1000,
      baselineRoundsPerSec: roundRate(baseline), attackRoundsPerSec: roundRate(attack),
      // [seconds since the attack began, lag ms, round, RSS MiB, heap MiB, external MiB]
      series: [...baseline.slice(-4), ...attack].map((x) => [
        Math.round((x.at - attackStart) / 100) / 10, Math.round(x.lagMaxSeconds * 1000), x.round,
        Math.round(x.rssBytes / MiB), Math.round(x.heapUsedBytes / MiB), Math.round(x.externalBytes / MiB),
      ]),
      baselineExternalMiB: median(baseline, 'externalBytes') / MiB,
      trickleEnd, trickleMs, nonReaderEnd, nonReaderMs, staleSessions: stale.sessions(), sampleCalls: calls,
    };
    console.log(`RESOURCES ${JSON.stringify(figures)}`);
    // What the coordinator said about every peer it dropped (warnings), for the record.
    const dropped = coord.output().split('\n').filter((l) => /"level":[45]0/.test(l) && !/"code":"TOO_LARGE"/.test(l));
    console.log(`coordinator warnings:\n${dropped.slice(0, 40).join('\n')}`);
    expect(sampling.failures).toEqual([]);

    // The trickled partials hit their deadline (30 s from the first frame + time for their size), not refreshed.
    expect(trickleEnd).toMatch(/TIMEOUT/);
    expect(trickleMs).toBeLessThan(40_000);
    // The peer that never reads is dropped as too slow; the stale sender at its first oversized frame.
    // The peer that takes nothing is gone: dropped as too slow (ERR_TOO_SLOW, the send queue's stall watch,
    // 8 s without any drain), or by WebRTC's own consent timeout (~15 s for a stopped process, whose SCTP
    // window first absorbs a few rounds). Meanwhile its model states coalesced (the memory bounds below).
    expect(nonReaderEnd).toMatch(/ERR_TOO_SLOW|socket closed/);
    expect(nonReaderMs).toBeLessThan(40_000);
    expect(stale.sessions().length).toBeGreaterThan(0);
    // Each stale session was refused at its first frame: the client hears the error, or (a race on its side)
    // the channel's close first; the coordinator logged a TOO_LARGE refusal for every one.
    for (const s of stale.sessions()) expect(s).toMatch(/TOO_LARGE|ERR_CLOSED/);
    const tooLarge = coord.output().split('\n').filter((l) => /"code":"TOO_LARGE"/.test(l)).length;
    expect(tooLarge).toBeGreaterThanOrEqual(stale.sessions().length);
    // Memory over the baseline. What a peer can make the coordinator hold lives in ArrayBuffers (reassembly,
    // send queues, frames): external memory stays within a small multiple of the model plus 32 MiB (it swings
    // by 10-20 MiB on its own). RSS adds
    // what every connection costs (WebRTC, socket.io: the stale sender churns a session a second) and heap
    // garbage between collections, so its allowance is wider; one 64 MB stale result reassembled, as before the
    // limits were sized to the model, passes both on its own (measured before the fix: RSS +246 MiB, external
    // +140 MiB). Heap use is reported, not bounded (it rises with session churn until a major collection).
    expect(peak(attack, 'externalBytes') - median(baseline, 'externalBytes')).toBeLessThan(8 * modelBytes + 32 * MiB);
    expect(peak(attack, 'rssBytes') - median(baseline, 'rssBytes')).toBeLessThan(8 * modelBytes + 128 * MiB);
    expect(peak(attack, 'lagMaxSeconds')).toBeLessThan(1);
    // Rounds keep their pace: what the coordinator adds to a round beyond the honest peer's compute (transfer,
    // aggregation, broadcast) stays within 250 ms of the baseline's. The raw round rate is reported, not
    // bounded: the honest peer shares the machine's cores with the misbehaving processes, so it measures CPU
    // contention more than the coordinator.
    expect(overhead(attack)).toBeLessThan(overhead(baseline) + 250);
    expect(roundsWithin(attack).length).toBeGreaterThan(20);
    expect((await coord.status()).peers.some((p) => p.backend === 'wasm')).toBe(true);
  }, 150_000);
});
