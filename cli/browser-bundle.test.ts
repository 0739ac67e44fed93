import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleStaleReason, newestMtime } from './browser-bundle.ts';

const root = mkdtempSync(path.join(tmpdir(), 'stlm-bundle-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const at = (file: string, seconds: number) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'x');
  utimesSync(file, seconds, seconds);
};

describe('browser bundle staleness', () => {
  const dist = path.join(root, 'dist');
  const src = path.join(root, 'src');
  const files = ['index.html', 'peer.js', 'dashboard.js', 'peer-worker.js', 'train-worker.js'];

  it('is missing until every page and worker is there', () => {
    expect(bundleStaleReason(dist, [src])).toMatch(/index\.html is missing/);
    for (const f of files.slice(0, 4)) at(path.join(dist, f), 2_000);
    expect(bundleStaleReason(dist, [src])).toMatch(/train-worker\.js is missing/);
  });

  it('is stale when a source is newer than the oldest bundle file, ignoring test files', () => {
    for (const f of files) at(path.join(dist, f), 2_000);
    at(path.join(src, 'a/b.ts'), 1_000);
    expect(bundleStaleReason(dist, [src])).toBeUndefined();
    at(path.join(src, 'a/b.test.ts'), 3_000);
    expect(bundleStaleReason(dist, [src])).toBeUndefined();
    expect(newestMtime([src])).toBe(1_000_000);
    at(path.join(src, 'a/c.ts'), 3_000);
    expect(bundleStaleReason(dist, [src])).toBe('its sources changed since it was built');
  });
});
