// The stale sender of test/cluster-resources.test.ts, in a process of its own: joins, sends three results
// for round 0 with a huge gradient over its own framed transport (the connection's is sized to what a peer
// accepts, not to what it sends), prints "SESSION <how it ended>", and joins again, until killed.
import { FramedTransport } from '../../protocol/transport.ts';
import { encodeMessage } from '../../protocol/messages.ts';
import { codecByName } from '../../protocol/codecs/index.ts';
import { connect } from './misbehaving-peers.ts';

const [url, token, size] = process.argv.slice(2) as [string, string, string];
const payloadBytes = Number(size);
const gradient = codecByName('fp32').encode(new Float32Array(Math.floor(payloadBytes / 4)));
const bytes = encodeMessage(
  { type: 'result', round: 0, version: 0, batchIds: [0], loss: 1, bytes: 1, gradient, computeMs: 1, encodeMs: 1 },
  { maxMessageBytes: payloadBytes + 1024 * 1024 },
);

for (;;) {
  try {
    const conn = await connect(url, token, 'stale');
    const raw = new FramedTransport(conn.channel, { limits: { maxMessageBytes: bytes.byteLength } });
    for (let i = 0; i < 3 && !raw.isClosed; i++) await raw.send(bytes).catch(() => {});
    const end = await Promise.race([conn.closed, new Promise<string>((r) => setTimeout(() => r('still open'), 3_000))]);
    console.log(`SESSION ${end}`);
    conn.close();
  } catch (e) {
    console.log(`SESSION connect failed: ${(e as Error).message}`);
  }
  await new Promise((r) => setTimeout(r, 1_000));
}
