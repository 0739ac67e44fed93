// kill -9 and `--resume --run-dir DIR` alone, with the tokens the coordinator drew itself (no --token): the
// resumed coordinator reads its run's tokens from the run dir, so the Node peer that kept retrying rejoins
// and trains, and the printed links stay valid. Before, a resume drew new tokens and every peer stopped for
// good with ERR_TOKEN. The tokens file is owner-only and no checkpoint holds a token.
import { readFileSync, readdirSync, rmSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, killAll, startCoordinatorProcess, startPeerProcess, waitFor } from './cluster/processes.ts';

const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-resume-tokens-'));

afterAll(async () => {
  await killAll();
  rmSync(runDir, { recursive: true, force: true });
});


describe('--resume with the tokens the run drew', () => {
  it('keeps the join token across kill -9, so the peer comes back by itself', async () => {
    const port = await freePort();
    let coord = await startCoordinatorProcess(
      ['--preset', 'tiny', '--run-dir', runDir, '--port', String(port), '--batch-size', '8', '--checkpoint-every', '2', '--eval-every', '0'],
      null,
    );
    const token = coord.token;
    expect(token).toMatch(/^[0-9a-f]{24}$/);
    const peer = startPeerProcess(coord.url, token, ['--max-attempts', '1000']);
    await waitFor('a checkpoint', async () => ((await coord.status()).checkpoints.length > 0 ? true : undefined), 60_000, coord);
    coord.kill('SIGKILL');
    await coord.exited;

    coord = await startCoordinatorProcess(['--run-dir', runDir, '--port', String(port), '--resume', '--eval-every', '0'], null);
    expect(coord.token).toBe(token);
    // The banner names the run's preset (from its checkpoint), not the default the flags would give.
    expect(coord.output()).toMatch(/preset tiny,/);
    const resumedAt = (await coord.status()).round;
    const back = await waitFor('the peer to rejoin and train', async () => {
      const s = await coord.status();
      return s.peers.length === 1 && s.peers[0]!.roundsContributed >= 2 && s.round >= resumedAt + 2 ? s : undefined;
    }, 60_000, coord);
    expect(back.peers[0]!.rejected).toBe(0);
    expect(peer.child.exitCode).toBeNull();
    expect(peer.output()).not.toMatch(/ERR_TOKEN/);

    expect(statSync(path.join(runDir, 'tokens.json')).mode & 0o777).toBe(0o600);
    for (const ck of readdirSync(runDir).filter((d) => d.startsWith('ckpt-'))) {
      expect(readFileSync(path.join(runDir, ck, 'state.json'), 'utf8')).not.toContain(token);
    }
  });
});
