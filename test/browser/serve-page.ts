// Serves a test or benchmark page the way the coordinator serves its own: entry files bundled with esbuild
// and served by coordinator/http/web.ts's router (cross-origin isolated, /tfjs-wasm/ for the .wasm files) on
// 127.0.0.1, a secure context where navigator.gpu exists.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import express from 'express';
import { build } from 'esbuild';
import { createWebRouter } from '../../coordinator/http/web.ts';
import type { CoordinatorStatus } from '../../protocol/status.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface ServedPage {
  /** http://127.0.0.1:PORT/ (index.html loads /assets/<page>.js). */
  url: string;
  close(): void;
}

export interface PageBundle {
  /** The page's module entry: its name becomes /assets/<name>.js. */
  page: { name: string; file: string };
  /** Classic-script workers (tfjs-wasm's emscripten code detects a worker by importScripts). */
  workers?: Record<string, string>;
}

export async function servePage(bundle: PageBundle): Promise<ServedPage> {
  const dist = mkdtempSync(path.join(tmpdir(), 'stlm-page-'));
  const common = {
    absWorkingDir: ROOT, outdir: dist, bundle: true, platform: 'browser' as const, target: 'es2022', logLevel: 'error' as const,
    nodePaths: [path.join(ROOT, 'node_modules')], define: { 'process.env.NODE_ENV': '"production"' },
    // tfjs-backend-wasm mentions Node modules on code paths a browser never takes.
    external: ['fs', 'path', 'worker_threads', 'perf_hooks', 'os', 'crypto'],
  };
  await build({ ...common, entryPoints: { [bundle.page.name]: bundle.page.file }, splitting: true, format: 'esm' });
  if (bundle.workers) await build({ ...common, entryPoints: bundle.workers, format: 'iife' });
  const script = `/assets/${bundle.page.name}.js`;
  writeFileSync(path.join(dist, 'index.html'), `<!doctype html><meta charset="utf-8"><script type="module" src="${script}"></script>`);
  const app = express();
  app.use(createWebRouter({ getStatus: () => ({}) as CoordinatorStatus, distDir: dist }));
  const server = await new Promise<Server>((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no server address');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => {
      server.close();
      rmSync(dist, { recursive: true, force: true });
    },
  };
}
