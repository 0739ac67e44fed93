// End to end, real processes: the socket relay. A Node peer with `--transport relay` trains through the
// coordinator's socket.io connection next to a peer on a WebRTC data channel; both contribute and
// /api/status tells which road each peer's frames take. A coordinator started with --no-relay refuses a peer
// that insists on the relay with a clear error, and the peer stops (exit 2) instead of retrying forever.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { killAll, startCoordinatorProcess, startPeerProcess, waitFor } from './cluster/processes.ts';

const runDirs: string[] = [];
function runDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'stlm-relay-'));
  runDirs.push(d);
  return d;
}

afterAll(async () => {
  await killAll();
  for (const d of runDirs) rmSync(d, { recursive: true, force: true });
});

const TINY = ['--preset', 'tiny', '--batch-size', '8', '--min-peers', '2', '--eval-every', '0', '--checkpoint-every', '0', '--min-deadline', '30000', '--seed', '5'];

describe('the socket relay', () => {
  it('carries a peer whose frames cannot take WebRTC, next to a WebRTC peer; both contribute', async () => {
    const coord = await startCoordinatorProcess([...TINY, '--run-dir', runDir()]);
    const relayed = startPeerProcess(coord.url, coord.token, ['--transport', 'relay']);
    const direct = startPeerProcess(coord.url, coord.token, ['--transport', 'webrtc']);
    const s = await waitFor(
      'both peers to contribute 5 rounds',
      async () => {
        const st = await coord.status();
        return st.peers.length === 2 && st.peers.every((p) => p.roundsContributed >= 5) ? st : undefined;
      },
      90_000,
      relayed,
    );
    expect(s.peers.map((p) => p.transport).sort()).toEqual(['relay', 'webrtc']);
    expect(s.peers.every((p) => p.rejected === 0)).toBe(true);
    expect(s.recentLoss.every((r) => Number.isFinite(r.loss) && r.loss > 0)).toBe(true);
    expect(coord.output()).toMatch(/relaying the peer's frames over its socket/);

    relayed.kill('SIGINT');
    direct.kill('SIGINT');
    expect(await relayed.exited).toBe(0);
    expect(await direct.exited).toBe(0);
    expect(relayed.output()).not.toMatch(/ERR_/);
  });

  it('--no-relay: a peer that insists on the relay is refused with ERR_RELAY_DISABLED and stops', async () => {
    const coord = await startCoordinatorProcess([...TINY, '--min-peers', '1', '--no-relay', '--run-dir', runDir()]);
    const peer = startPeerProcess(coord.url, coord.token, ['--transport', 'relay']);
    expect(await peer.exited).toBe(2);
    expect(peer.output()).toMatch(/ERR_RELAY_DISABLED/);
    expect(peer.output()).toMatch(/--no-relay/);
    expect((await coord.status()).peers).toHaveLength(0);
  });
});
