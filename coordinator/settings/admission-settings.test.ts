import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from './settings.ts';
import { DEFAULT_ADMISSION } from './admission-settings.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'stlm-admission-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('admission settings', () => {
  it('default to a model-sized --max-peers (0) and bounded rates', () => {
    expect(loadSettings({ cwd: dir }).admission).toEqual(DEFAULT_ADMISSION);
    expect(DEFAULT_ADMISSION).toMatchObject({ maxPeers: 0, maxPeersPerAddress: 8 });
  });

  it('take the CLI flags (maxPeers, maxPeersPerAddress, misbehaviourBackoffMs) and nested config fields', () => {
    const s = loadSettings({ cwd: dir, overrides: { maxPeers: 5, maxPeersPerAddress: 2, misbehaviourBackoffMs: 0 } });
    expect(s.admission).toMatchObject({ maxPeers: 5, maxPeersPerAddress: 2, backoffMs: 0, joinsPerMinute: 600, joinsPerMinutePerAddress: 30 });
    expect(loadSettings({ cwd: dir, overrides: { admission: { joinsPerMinute: 60 } } }).admission).toMatchObject({ joinsPerMinute: 60, maxPeers: 0 });
    // A first wait above the cap raises the cap rather than being silently cut.
    expect(loadSettings({ cwd: dir, overrides: { misbehaviourBackoffMs: 7_200_000 } }).admission.maxBackoffMs).toBe(7_200_000);
  });

  it('refuse values that make no sense, naming the field', () => {
    expect(() => loadSettings({ cwd: dir, overrides: { maxPeersPerAddress: 0 } })).toThrow(/settings\.admission\.maxPeersPerAddress/);
    expect(() => loadSettings({ cwd: dir, overrides: { maxPeers: -1 } })).toThrow(/settings\.admission\.maxPeers/);
    expect(() => loadSettings({ cwd: dir, overrides: { admission: { joinsPerMinute: 0 } } })).toThrow(/joinsPerMinute/);
  });
});
