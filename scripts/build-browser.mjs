#!/usr/bin/env node
// Bundles the browser pages (the peer page, peer/browser/, and the dashboard, dashboard/; both use ui/) and the
// peer page's training workers with esbuild into
// dist/browser/ (not committed). `npm start` and `npm test` run it first (prestart/pretest). The coordinator
// serves dist/browser/.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'peer/browser');
const dest = path.join(root, 'dist/browser');
// Built beside it, then swapped in: browser test files rebuild while other files' tabs load pages from it.
const out = path.join(root, `dist/.browser-${process.pid}`);
const started = Date.now();

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const common = {
  absWorkingDir: root,
  outdir: out,
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
  // tfjs-backend-wasm mentions Node modules on code paths a browser never takes.
  external: ['fs', 'path', 'worker_threads', 'perf_hooks', 'os', 'crypto'],
  define: { 'process.env.NODE_ENV': '"production"' },
};
await Promise.all([
  build({
    ...common,
    entryPoints: { peer: path.join(src, 'main.ts'), dashboard: path.join(root, 'dashboard/dashboard.ts') },
    // Splitting keeps the webgpu backend in its own chunk, fetched only by browsers that offer WebGPU.
    splitting: true,
    format: 'esm',
  }),
  // The training worker (peer/browser/peer-worker.ts): one classic script (tfjs-wasm's emscripten code
  // detects a worker by importScripts, which module workers lack), the webgpu backend included.
  // Its training workers (train-worker.ts, one per core on wasm) are classic scripts for the same reason.
  build({
    ...common,
    entryPoints: { 'peer-worker': path.join(src, 'peer-worker.ts'), 'train-worker': path.join(src, 'train-worker.ts') },
    format: 'iife',
  }),
]);
for (const file of ['peer/browser/index.html', 'dashboard/dashboard.html', 'ui/style.css']) {
  copyFileSync(path.join(root, file), path.join(out, path.basename(file)));
}
swapIn(out, dest);
console.log(`browser bundle built in ${Date.now() - started} ms -> ${path.relative(root, dest)}/`);

/** Replaces `to` with `from` with two renames (the pages are missing for microseconds, not for the build);
 *  retries if a concurrent build swapped its own in between. */
function swapIn(from, to) {
  for (let attempt = 0; ; attempt++) {
    const old = `${to}.old-${process.pid}-${attempt}`;
    try {
      renameSync(to, old);
    } catch (e) {
      if (e.code !== 'ENOENT') throw e;
    }
    try {
      renameSync(from, to);
      return;
    } catch (e) {
      if (!['ENOTEMPTY', 'EEXIST'].includes(e.code) || attempt >= 10) throw e;
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  }
}
