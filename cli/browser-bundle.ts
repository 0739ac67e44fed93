// `stlm coordinator` serves dist/browser/: it builds that bundle when it is missing or older than any of its
// sources, so a coordinator started without `npm start` serves current pages, not "bundle missing". The build
// runs beside the starting coordinator (a minute on a busy 2-core machine): peers can join meanwhile, and
// scripts/build-browser.mjs swaps the new bundle in at once when it is done.
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
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

/** Messages a person at the terminal sees (cli/coordinator.ts's HUMAN_INFO). */
export const BUNDLE_MESSAGES = ['browser bundle: building it in the background', 'browser bundle: built'];

/** Starts building dist/browser when it is stale; settles when that build has ended (or at once). */
export function ensureBrowserBundle(logger: Logger): Promise<void> {
  const reason = bundleStaleReason(path.join(ROOT, 'dist/browser'), SOURCES.map((s) => path.join(ROOT, s)));
  if (!reason) return Promise.resolve();
  logger.info({ reason }, BUNDLE_MESSAGES[0]);
  const started = Date.now();
  const child = spawn(process.execPath, [path.join(ROOT, 'scripts/build-browser.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr.on('data', (d: Buffer) => (errors += d.toString()));
  return new Promise((resolve) => {
    child.once('error', (e) => {
      logger.error({ err: e.message }, 'browser bundle: cannot build it (run npm run build:browser)');
      resolve();
    });
    child.once('exit', (code) => {
      if (code === 0) logger.info({ seconds: Math.round((Date.now() - started) / 1000) }, BUNDLE_MESSAGES[1]);
      else logger.error({ exitCode: code, stderr: errors.trim().slice(-500) }, 'browser bundle: the build failed (run npm run build:browser)');
      resolve();
    });
  });
}
