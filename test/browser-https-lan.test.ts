// `--https` for devices other than the coordinator's machine: inside a network namespace this test creates
// (a veth pair, as on a LAN; ../shared/notes/field-notes.md), a Chromium tab opens the coordinator at its
// non-loopback address 10.77.0.1 over https and is a secure, cross-origin isolated context: it trains with
// wasm on several worker threads, where plain http at that address would give it one thread and no WebGPU.
// The browser runs with --ignore-certificate-errors in place of the person who accepts the self-signed
// certificate's warning once. Skipped with a message where no namespace can be made (not root); CI is root.
import { spawnSync, spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromiumAvailable } from './browser/harness.ts';
import { buildBrowserBundle } from './browser/bundle.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const NETNS_SETUP = [
  'ip link set lo up',
  'ip link add v0 type veth peer name v1',
  'ip addr add 10.77.0.1/24 dev v0',
  'ip addr add 10.77.0.2/24 dev v1',
  'ip link set v0 up',
  'ip link set v1 up',
].join(' && ');

function canMakeNamespace(): boolean {
  const r = spawnSync('unshare', ['-n', 'bash', '-c', NETNS_SETUP], { encoding: 'utf8' });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim();
    console.warn(`\n*** [https LAN test SKIPPED] cannot create a network namespace with a veth pair (needs root): ${why} ***\n`);
    return false;
  }
  return true;
}

describe.runIf(chromiumAvailable() && canMakeNamespace())('a tab on a LAN address over --https', () => {
  it('is a secure, cross-origin isolated context and trains with wasm threads', async () => {
    buildBrowserBundle();
    const child = spawn('unshare', ['-n', 'bash', '-c', `${NETNS_SETUP} && exec "${process.execPath}" bin/run-ts.mjs test/https/lan-tab-scenario.ts 10.77.0.1`], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    const line = /SCENARIO_RESULT=(.*)/.exec(out)?.[1];
    expect(line, `scenario exited ${code}:\n${out.slice(-5000)}`).toBeDefined();
    const result = JSON.parse(line!) as {
      url: string;
      page: { href: string; isSecureContext: boolean; crossOriginIsolated: boolean; sharedArrayBuffer: boolean; backend: string; rounds: number };
      peer: { kind: string; backend: string; threads: number; transport: string; rounds: number };
    };
    expect(result.url).toMatch(/^https:\/\/10\.77\.0\.1:\d+$/);
    expect(result.page.href.startsWith(result.url)).toBe(true);
    expect(result.page.isSecureContext).toBe(true);
    expect(result.page.crossOriginIsolated).toBe(true);
    expect(result.page.sharedArrayBuffer).toBe(true);
    expect(result.page.rounds).toBeGreaterThanOrEqual(2);
    // Trained on wasm worker threads: one per core (this machine's Chromium reports its cores), at least two.
    expect(result.peer).toMatchObject({ kind: 'browser', backend: 'wasm' });
    expect(result.peer.threads, JSON.stringify(result)).toBeGreaterThanOrEqual(2);
    expect(result.page.backend).toBe(`wasm ×${result.peer.threads}`);
    expect(code).toBe(0);
  }, 400_000);
});
