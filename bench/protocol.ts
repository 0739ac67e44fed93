// npm run bench:protocol — JSON on stdout.
// 1. Every gradient codec on a 5M-parameter Gaussian gradient: encode and decode MB/s (of fp32 input,
//    1 MB = 1e6 bytes), payload bytes per parameter, relative L2 error of one round trip, and the relative
//    error of the sum of 4 successive gradients as received, with and without error feedback.
// 2. Throughput between two real @roamhq/wrtc peers on loopback: the framed transport (20 MB messages)
//    versus the raw data channel (64 KiB messages, same backpressure) in the same process, trials
//    alternated; `framedVsRaw` is the ratio of the medians. The same framed transport over the socket relay
//    (socket.io on loopback, the road of a peer WebRTC cannot reach) in the same trials: `relayVsDataChannel`.
// Options: --params N (default 5,000,000), --mb M transport megabytes per trial (default 40), --trials T (5).
import { CODEC_NAMES, codecByName, ErrorFeedback, type GradientCodec } from '../protocol/codecs/index.ts';
import { gaussianVector, relativeError } from '../protocol/codecs/conformance.ts';
import { FramedTransport, fromSimplePeer } from '../protocol/transport.ts';
import { connectWrtcPair, type PeerPair } from '../test/support/wrtc-pair.ts';
import { connectSocketPair, relayOf } from '../test/support/relay-pair.ts';

const args = process.argv.slice(2);
const arg = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const N = arg('params', 5_000_000);
const MB = arg('mb', 40);
const TRIALS = arg('trials', 5);
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const round = (x: number, digits = 4) => Number(x.toPrecision(digits));

function timeIt<T>(fn: () => T, reps: number): { ms: number; value: T } {
  const times: number[] = [];
  let value!: T;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    value = fn();
    times.push(performance.now() - t0);
  }
  return { ms: median(times), value };
}

function benchCodec(codec: GradientCodec, grad: Float32Array, steps: Float32Array[]) {
  const enc = timeIt(() => codec.encode(grad), 3);
  const dec = timeIt(() => codec.decode(enc.value, grad.length), 3);
  const inputMB = (grad.length * 4) / 1e6;
  // Sum of what the receiver gets over several rounds, against the sum of the true gradients.
  const truth = new Float32Array(grad.length);
  const plain = new Float32Array(grad.length);
  const withEf = new Float32Array(grad.length);
  const ef = new ErrorFeedback(codec, grad.length);
  for (const g of steps) {
    const p = codec.decode(codec.encode(g), g.length);
    const e = codec.decode(ef.encode(g), g.length);
    for (let i = 0; i < g.length; i++) {
      truth[i]! += g[i]!;
      plain[i]! += p[i]!;
      withEf[i]! += e[i]!;
    }
  }
  return {
    encodeMBps: round(inputMB / (enc.ms / 1000)),
    decodeMBps: round(inputMB / (dec.ms / 1000)),
    encodeMs: round(enc.ms),
    decodeMs: round(dec.ms),
    bytesPerParam: round(enc.value.byteLength / grad.length),
    expectedBytesPerParam: round(codec.expectedBytesPerParam(grad.length)),
    relError: round(relativeError(grad, dec.value)),
    [`sumOf${steps.length}RelErrorNoFeedback`]: round(relativeError(truth, plain)),
    [`sumOf${steps.length}RelErrorWithFeedback`]: round(relativeError(truth, withEf)),
  };
}

/** Raw channel: 64 KiB messages straight through simple-peer, waiting on bufferedamountlow like the transport. */
async function rawTrial(pair: PeerPair, bytes: number): Promise<number> {
  const chunk = new Uint8Array(64 * 1024).fill(7);
  const channel = (pair.a as unknown as { _channel: RTCDataChannel })._channel;
  channel.bufferedAmountLowThreshold = LOW_WATER;
  let received = 0;
  const done = new Promise<void>((resolve) => {
    const onData = (d: Uint8Array) => {
      received += d.byteLength;
      if (received >= bytes) {
        pair.b.off('data', onData);
        resolve();
      }
    };
    pair.b.on('data', onData);
  });
  const t0 = performance.now();
  for (let sent = 0; sent < bytes; sent += chunk.byteLength) {
    if (channel.bufferedAmount > HIGH_WATER) await drained(channel);
    pair.a.send(chunk);
  }
  await done;
  return bytes / 1e6 / ((performance.now() - t0) / 1000);
}

/** Same wait as FramedTransport: the low-water event, with a poll in case the event fired before we listened. */
function drained(channel: RTCDataChannel): Promise<void> {
  return new Promise<void>((resolve) => {
    const finish = () => {
      channel.removeEventListener('bufferedamountlow', finish);
      clearInterval(poll);
      resolve();
    };
    channel.addEventListener('bufferedamountlow', finish);
    const poll = setInterval(() => channel.bufferedAmount <= LOW_WATER && finish(), 50);
    if (channel.bufferedAmount <= LOW_WATER) finish();
  });
}

async function framedTrial(a: FramedTransport, b: FramedTransport, bytes: number): Promise<number> {
  const msgBytes = 20 * 1024 * 1024;
  const count = Math.max(1, Math.round(bytes / msgBytes));
  const msg = new Uint8Array(msgBytes).fill(9);
  let got = 0;
  const done = new Promise<void>((resolve) => {
    const listener = () => {
      if (++got === count) resolve();
    };
    received.set(b, listener);
  });
  const t0 = performance.now();
  for (let i = 0; i < count; i++) void a.send(msg);
  await done;
  return (count * msgBytes) / 1e6 / ((performance.now() - t0) / 1000);
}
/** Each receiving transport's current trial listener. */
const received = new Map<FramedTransport, () => void>();

async function benchTransport() {
  const rawPair = await connectWrtcPair();
  const framedPair = await connectWrtcPair();
  const a = new FramedTransport(fromSimplePeer(framedPair.a), { highWaterMark: HIGH_WATER, lowWaterMark: LOW_WATER });
  const b = new FramedTransport(fromSimplePeer(framedPair.b));
  const socketPair = await connectSocketPair();
  const ra = new FramedTransport(relayOf(socketPair.server), { highWaterMark: HIGH_WATER, lowWaterMark: LOW_WATER });
  const rb = new FramedTransport(relayOf(socketPair.client));
  let errors = 0;
  for (const t of [b, rb]) {
    t.onError(() => errors++);
    t.onMessage(() => received.get(t)?.());
  }
  const bytes = MB * 1e6;
  const raw: number[] = [];
  const framed: number[] = [];
  const relay: number[] = [];
  try {
    await rawTrial(rawPair, 4e6); // warm-up
    console.error('raw warm-up done');
    await framedTrial(a, b, 4e6);
    await framedTrial(ra, rb, 4e6);
    console.error('framed and relay warm-ups done');
    for (let t = 0; t < TRIALS; t++) {
      // Alternate which goes first, so a slow spell on the shared machine hits both alike.
      if (t % 2 === 0) {
        raw.push(await rawTrial(rawPair, bytes));
        framed.push(await framedTrial(a, b, bytes));
      } else {
        framed.push(await framedTrial(a, b, bytes));
        raw.push(await rawTrial(rawPair, bytes));
      }
      relay.push(await framedTrial(ra, rb, bytes));
      console.error(`transport trial ${t}: raw ${raw[t]!.toFixed(1)} MB/s, framed ${framed[t]!.toFixed(1)} MB/s, relay ${relay[t]!.toFixed(1)} MB/s`);
    }
  } finally {
    a.close();
    b.close();
    ra.close();
    rb.close();
    await socketPair.close();
    rawPair.destroy();
    framedPair.destroy();
  }
  return {
    rawMBps: raw.map((x) => round(x)),
    framedMBps: framed.map((x) => round(x)),
    rawMedianMBps: round(median(raw)),
    framedMedianMBps: round(median(framed)),
    framedVsRaw: round(median(framed) / median(raw), 3),
    relayMBps: relay.map((x) => round(x)),
    relayMedianMBps: round(median(relay)),
    relayVsDataChannel: round(median(relay) / median(framed), 3),
    frameErrors: errors,
  };
}

async function main() {
  // Transport first, on a fresh heap: the codec part leaves ~100 MB of vectors for the GC to walk.
  const transport = await benchTransport();
  const grad = gaussianVector(N, 1);
  const steps = [1, 2, 3, 4].map((s) => gaussianVector(N, 100 + s));
  const codecs: Record<string, ReturnType<typeof benchCodec>> = {};
  for (const name of CODEC_NAMES) {
    codecs[name] = benchCodec(codecByName(name), grad, steps);
    console.error(`codec ${name}: ${JSON.stringify(codecs[name])}`);
  }
  const out = {
    bench: 'protocol',
    at: new Date().toISOString(),
    node: process.version,
    params: N,
    framedVsRaw: transport.framedVsRaw,
    relayVsDataChannel: transport.relayVsDataChannel,
    codecs,
    transport: { ...transport, megabytesPerTrial: MB, trials: TRIALS, messageBytes: 20 * 1024 * 1024, rawChunkBytes: 64 * 1024 },
  };
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  // wrtc keeps native threads alive briefly after destroy(); the numbers are out, so leave now.
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
