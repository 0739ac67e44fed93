// `stlm coordinator` serves dist/browser/: it builds that bundle first when it is missing or older than any
// of its sources, so a coordinator started without `npm start` serves current pages, not "bundle missing".
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** What scripts/build-browser.mjs bundles from: the pages, what they import, the script itself, the lock file. */
const SOURCES = ['peer', 'dashboard', 'ui', 'protocol', 'model', 'common', 'scripts/build-browser.mjs', 'package-lock.json'];
const BUNDLE_FILES = ['index.html', 'peer.js', 'dashboard.js', 'peer-worker.js', 'train-worker.js'];

/** Newest modification time (ms) of the files under `paths` (test files skipped), 0 if none. */
export function newestMtime(paths: string[]): number {
  let newest = 0;
  const visit = (p: string) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(path.join(p, name));
    else if (!p.endsWith('.test.ts')) newest = Math.max(newest, st.mtimeMs);
  };
  for (const p of paths) visit(p);
  return newest;
}

/** Why the bundle in `dist` must be built, or undefined when it is current. */
export function bundleStaleReason(dist: string, sources: string[]): string | undefined {
  const missing = BUNDLE_FILES.find((f) => !existsSync(path.join(dist, f)));
  if (missing) return `${path.join(dist, missing)} is missing`;
  const built = Math.min(...BUNDLE_FILES.map((f) => statSync(path.join(dist, f)).mtimeMs));
  return newestMtime(sources) > built ? 'its sources changed since it was built' : undefined;
}

/** Builds dist/browser when stale; returns what it did, for one line of output. */
export function ensureBrowserBundle(say: (line: string) => void): void {
  const reason = bundleStaleReason(path.join(ROOT, 'dist/browser'), SOURCES.map((s) => path.join(ROOT, s)));
  if (!reason) return;
  say(`building the browser bundle (${reason})…`);
  execFileSync(process.execPath, [path.join(ROOT, 'scripts/build-browser.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
}
