// End to end on a LAN-like address: a veth pair (10.77.0.1/24, 10.77.0.2/24) made inside this test's own
// network namespace (CI runs the tests under `unshare -n`; outside one, the test is skipped rather than touch
// the host's interfaces). A Node peer joins a coordinator listening on 10.77.0.1, so its socket does not come
// over loopback: the coordinator drops the loopback candidates it announces (a peer on another host may not aim
// the coordinator's STUN checks at its loopback), keeps the 10.77.0.x ones, and the peer connects and trains.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, startCoordinatorProcess, startPeerProcess, waitFor } from './cluster/processes.ts';

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });

/** Interfaces in this namespace other than lo and our pair: none means the namespace is private to us. */
function privateNamespace(): boolean {
  try {
    const names = ip('-o', 'link').split('\n').filter(Boolean).map((l) => l.split(':')[1]!.trim().split('@')[0]);
    return names.every((n) => n === 'lo' || n === 'stlm-v0' || n === 'stlm-v1');
  } catch {
    return false;
  }
}

const inNamespace = privateNamespace();
const runDir = mkdtempSync(path.join(tmpdir(), 'stlm-lan-'));

afterAll(async () => {
  await killAll();
  rmSync(runDir, { recursive: true, force: true });
});

describe.skipIf(!inNamespace)('a peer on a LAN address', () => {
  it('connects through its 10.77.0.x candidates while its loopback ones are dropped', async () => {
    if (!ip('-o', 'link').includes('stlm-v0')) {
      ip('link', 'add', 'stlm-v0', 'type', 'veth', 'peer', 'name', 'stlm-v1');
      ip('addr', 'add', '10.77.0.1/24', 'dev', 'stlm-v0');
      ip('addr', 'add', '10.77.0.2/24', 'dev', 'stlm-v1');
      ip('link', 'set', 'stlm-v0', 'up');
      ip('link', 'set', 'stlm-v1', 'up');
    }
    const coord = await startCoordinatorProcess([
      '--preset', 'tiny', '--run-dir', runDir, '--batch-size', '4', '--checkpoint-every', '0', '--eval-every', '0',
      '--host', '10.77.0.1', '--log-level', 'debug',
    ]);
    expect(coord.url).toMatch(/^http:\/\/10\.77\.0\.1:/);
    startPeerProcess(coord.url, coord.token);
    await waitFor('the peer contributing', async () => ((await coord.status()).peers[0]?.roundsContributed ?? 0) >= 2 || undefined, 90_000, coord);
    const log = coord.output();
    expect(log).toMatch(/"address":"10\.77\.0\.\d"/);
    expect(log).not.toMatch(/"address":"127\./);
    expect(log).toMatch(/candidate dropped: loopback address from a peer on another host/);
  });
});
