// The web router over a real HTTP server: cross-origin isolation headers on pages and assets, the wasm
// files and third-party browser builds it serves, a helpful 503 without a bundle, and admin token checks.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebRouter, type WebRouterOptions } from './web.ts';
import type { CoordinatorStatus } from '../../protocol/status.ts';

const status = { runId: 'r1', round: 3 } as unknown as CoordinatorStatus;

async function serve(opts: Partial<WebRouterOptions>): Promise<{ url: string; server: Server }> {
  const app = express();
  app.use(createWebRouter({ getStatus: () => status, ...opts }));
  const server = await new Promise<Server>((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { url: `http://127.0.0.1:${address.port}`, server };
}

describe('createWebRouter', () => {
  const dist = mkdtempSync(path.join(tmpdir(), 'stlm-dist-'));
  writeFileSync(path.join(dist, 'index.html'), '<h1>peer page</h1>');
  writeFileSync(path.join(dist, 'dashboard.html'), '<h1>dashboard</h1>');
  writeFileSync(path.join(dist, 'peer.js'), 'console.log(1)');
  writeFileSync(path.join(dist, 'peer-worker.js'), 'console.log(2)');
  const calls: string[] = [];
  let withBundle: { url: string; server: Server };
  let noBundle: { url: string; server: Server };

  beforeAll(async () => {
    withBundle = await serve({
      distDir: dist,
      adminToken: 'sesame',
      admin: { pause: () => calls.push('pause'), checkpoint: async () => 'runs/ck-3.bin' },
    });
    noBundle = await serve({ distDir: path.join(dist, 'missing') });
  });
  afterAll(() => {
    withBundle.server.close();
    noBundle.server.close();
  });

  it('serves the pages cross-origin isolated and assets with CORP', async () => {
    for (const [route, body] of [['/', 'peer page'], ['/dashboard', 'dashboard']]) {
      const res = await fetch(withBundle.url + route);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(body);
      expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(res.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    }
    for (const asset of ['/assets/peer.js', '/assets/peer-worker.js', '/assets/simplepeer.min.js', '/assets/uPlot.min.css', '/tfjs-wasm/tfjs-backend-wasm-threaded-simd.wasm']) {
      const res = await fetch(withBundle.url + asset);
      expect(res.status, asset).toBe(200);
      expect(res.headers.get('cross-origin-resource-policy'), asset).toBe('same-origin');
      expect(res.headers.get('cross-origin-embedder-policy'), asset).toBe('require-corp');
    }
    // A worker script must be served as JavaScript.
    expect((await fetch(withBundle.url + '/assets/peer-worker.js')).headers.get('content-type')).toMatch(/^(text|application)\/javascript/);
    const wasm = await fetch(withBundle.url + '/tfjs-wasm/tfjs-backend-wasm-simd.wasm');
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect((await fetch(withBundle.url + '/assets/nope.js')).status).toBe(404);
  });

  it('says how to build the bundle when it is missing', async () => {
    const res = await fetch(noBundle.url + '/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build:browser');
  });

  it('checks the admin token and runs only the actions the coordinator offers', async () => {
    const post = (base: string, action: string, token?: string) =>
      fetch(`${base}/api/admin/${action}`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await post(withBundle.url, 'pause')).status).toBe(401);
    expect((await post(withBundle.url, 'pause', 'wrong!')).status).toBe(401);
    expect((await post(noBundle.url, 'pause', 'sesame')).status).toBe(403);
    expect(calls).toEqual([]);
    expect((await post(withBundle.url, 'pause', 'sesame')).status).toBe(200);
    const ck = await post(withBundle.url, 'checkpoint', 'sesame');
    expect(await ck.json()).toEqual({ ok: true, action: 'checkpoint', result: 'runs/ck-3.bin' });
    expect((await post(withBundle.url, 'consolidate', 'sesame')).status).toBe(501);
    expect((await post(withBundle.url, 'format-disk', 'sesame')).status).toBe(404);
    expect(calls).toEqual(['pause']);
    const info = await (await fetch(withBundle.url + '/api/admin', { headers: { authorization: 'Bearer sesame' } })).json();
    expect(info).toEqual({ actions: ['pause', 'checkpoint'], authorized: true });
  });

  it('throttles guessing: after 5 wrong admin tokens an address gets 429, even with the right one', async () => {
    const guessing = await serve({ adminToken: 'sesame', admin: { pause: () => {} } });
    const post = (token: string) => fetch(`${guessing.url}/api/admin/pause`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < 5; i++) expect((await post(`guess-${i}`)).status).toBe(401);
    const blocked = await post('sesame');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    const probe = await fetch(`${guessing.url}/api/admin`, { headers: { authorization: 'Bearer sesame' } });
    expect(probe.status).toBe(429);
    guessing.server.close();
  });

  it('answers a bad request with a status and one line, never a stack trace', async () => {
    const res = await fetch(withBundle.url + '/assets/%E0%A4%A');
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ error: 'Bad Request' });
    expect(body).not.toMatch(/\bat \w|node_modules/);
  });

  it('answers 404 for samples when the coordinator cannot generate', async () => {
    expect((await fetch(noBundle.url + '/api/sample')).status).toBe(404);
  });
});
