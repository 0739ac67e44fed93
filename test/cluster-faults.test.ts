// End to end, real processes, real WebRTC: failures during a run.
// 1. A peer is killed (SIGKILL) mid-round: the run goes on and its batch is assigned again later.
// 2. The coordinator is killed with SIGKILL and restarted with --resume on the same port: it continues from
//    its last checkpoint and the peers rejoin by themselves.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, killAll, startCoordinatorProcess, startPeerProcess, waitFor, type CoordinatorProc } from './cluster/processes.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-faults-'));

afterAll(async () => {
  await killAll();
  rmSync(runDir, { recursive: true, force: true });
});


/** The coordinator's pino lines (JSON on stdout when not at a terminal). */
function logLines(p: CoordinatorProc): Array<Record<string, unknown>> {
  return p
    .output()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('faults', () => {
  it('survives a peer killed mid-round and a coordinator killed with SIGKILL', async () => {
    const port = await freePort();
    const args = [
      '--preset', 'tiny', '--run-dir', runDir, '--batch-size', '16', '--checkpoint-every', '3', '--eval-every', '0',
      '--codec', 'fp16', '--seed', '3',
    ];
    let coord = await startCoordinatorProcess([...args, '--port', String(port)]);
    const a = startPeerProcess(coord.url, coord.token);
    const b = startPeerProcess(coord.url, coord.token);
    await waitFor('both peers contributing', async () => {
      const s = await coord.status();
      return s.peers.length === 2 && s.peers.every((p) => p.roundsContributed >= 2) ? s : undefined;
    }, 60_000, coord);

    // Kill peer b while a round is in flight: freeze it first (rounds run back to back, so within half a
    // second it holds an assignment it can no longer answer), then kill it.
    const roundsBefore = (await coord.status()).round;
    b.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 500));
    b.kill('SIGKILL');
    await b.exited;
    const after = await waitFor('rounds after the kill', async () => {
      const s = await coord.status();
      return s.round >= roundsBefore + 4 && s.peers.length === 1 ? s : undefined;
    }, 60_000, coord);
    expect(after.peers[0]!.state).not.toBe('gone');
    // The batches the dead peer held were requeued and later trained by the surviving peer.
    const lines = logLines(coord);
    const requeued = lines.filter((l) => Array.isArray(l.requeued)).flatMap((l) => l.requeued as number[]);
    expect(requeued.length).toBeGreaterThan(0);
    const trainedAfter = lines
      .filter((l) => l.msg === 'round' && Array.isArray(l.batches))
      .flatMap((l) => l.batches as number[]);
    expect(requeued.some((id) => trainedAfter.filter((t) => t === id).length >= 1)).toBe(true);

    // Let a checkpoint land, then kill -9 the coordinator.
    const ckRound = await waitFor('a checkpoint', async () => {
      const s = await coord.status();
      return s.checkpoints.length > 0 ? s.checkpoints.at(-1)!.round : undefined;
    }, 60_000, coord);
    coord.kill('SIGKILL');
    await coord.exited;

    // Only the run directory: preset, seed and data come from the checkpoint.
    coord = await startCoordinatorProcess(['--run-dir', runDir, '--port', String(port), '--resume', '--eval-every', '0']);
    const resumed = await coord.status();
    expect(resumed.round).toBeGreaterThanOrEqual(ckRound);
    expect(resumed.preset).toBe('tiny');
    const rejoined = await waitFor('peer a rejoins and training continues', async () => {
      const s = await coord.status();
      return s.peers.length === 1 && s.round >= resumed.round + 2 ? s : undefined;
    }, 60_000, coord);
    expect(rejoined.peers[0]!.roundsContributed).toBeGreaterThanOrEqual(2);
    expect(a.child.exitCode).toBeNull();
  });
});
