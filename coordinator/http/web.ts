// The browser side of the coordinator: the peer page (`/`), the dashboard (`/dashboard`), their esbuild
// bundle (dist/browser, built by scripts/build-browser.mjs, with the peer page's training worker
// peer-worker.js), the tfjs .wasm files, simple-peer's browser build and uPlot's css, plus GET /api/sample and
// the admin actions under POST /api/admin/*.
// Every response is cross-origin isolated (COOP/COEP) so the tab may use SharedArrayBuffer, which
// multi-threaded tfjs wasm needs; assets also say CORP same-origin, as require-corp demands.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { CoordinatorStatus } from '../../protocol/status.ts';
import { sameToken } from './token.ts';
import { SampleRateLimited } from './sample-cache.ts';
import { ProbeThrottle } from './probe-throttle.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BROWSER_DIST = path.join(ROOT, 'dist/browser');
const MODULES = path.join(ROOT, 'node_modules');

export type AdminAction = 'pause' | 'resume' | 'checkpoint' | 'consolidate';
export const ADMIN_ACTIONS: AdminAction[] = ['pause', 'resume', 'checkpoint', 'consolidate'];

/** What the coordinator can do on an admin's request; an action it lacks answers 501. */
export type AdminControls = Partial<Record<AdminAction, () => unknown | Promise<unknown>>>;

export interface WebRouterOptions {
  getStatus(): CoordinatorStatus;
  /** Admin actions need this token (Bearer); without one configured the dashboard is read-only. */
  adminToken?: string;
  admin?: AdminControls;
  /** A text sample from the latest model (GET /api/sample); 404 when not provided. */
  sample?(prompt: string, maxBytes: number): Promise<{ text: string; round: number }>;
  /** Where the bundle lives (tests may point elsewhere). */
  distDir?: string;
}

function isolate(res: Response, asset: boolean): void {
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
  if (asset) res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

export function createWebRouter(opts: WebRouterOptions): Router {
  const dist = opts.distDir ?? BROWSER_DIST;
  const router = express.Router();
  const probes = new ProbeThrottle();
  const staticOpts = { index: false, fallthrough: false, setHeaders: (res: Response) => isolate(res, true) };

  const page = (file: string) => (_req: Request, res: Response) => {
    isolate(res, false);
    const full = path.join(dist, file);
    if (!existsSync(full)) {
      res.status(503).type('text').send(`The browser bundle is missing (${full}). Build it with: npm run build:browser`);
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(full);
  };
  router.get('/', page('index.html'));
  router.get('/dashboard', page('dashboard.html'));

  const file = (full: string) => (_req: Request, res: Response) => {
    isolate(res, true);
    res.sendFile(full);
  };
  router.get('/assets/simplepeer.min.js', file(path.join(MODULES, 'simple-peer/simplepeer.min.js')));
  router.get('/assets/uPlot.min.css', file(path.join(MODULES, 'uplot/dist/uPlot.min.css')));
  router.use('/assets', express.static(dist, staticOpts));
  router.use('/tfjs-wasm', express.static(path.join(MODULES, '@tensorflow/tfjs-backend-wasm/dist'), staticOpts));

  router.get('/api/sample', async (req: Request, res: Response) => {
    if (!opts.sample) {
      res.status(404).json({ error: 'this coordinator does not generate samples' });
      return;
    }
    const prompt = typeof req.query.prompt === 'string' ? req.query.prompt.slice(0, 200) : 'The ';
    const max = Math.min(400, Math.max(1, Number(req.query.bytes) || 160));
    try {
      res.json(await opts.sample(prompt, max));
    } catch (e) {
      if (e instanceof SampleRateLimited) {
        res.status(429).set('Retry-After', String(e.retryAfterSeconds)).json({ error: e.message });
        return;
      }
      res.status(500).json({ error: (e as Error).message });
    }
  });

  router.get('/api/admin', (req: Request, res: Response) => {
    if (throttled(req, res)) return;
    res.json({ actions: ADMIN_ACTIONS.filter((a) => opts.admin?.[a]), authorized: authorized(req) });
  });
  router.post('/api/admin/:action', requireAdmin, async (req: Request, res: Response) => {
    const action = req.params.action as AdminAction;
    if (!ADMIN_ACTIONS.includes(action)) {
      res.status(404).json({ error: `unknown admin action "${action}" (known: ${ADMIN_ACTIONS.join(', ')})` });
      return;
    }
    const run = opts.admin?.[action];
    if (!run) {
      res.status(501).json({ error: `this coordinator cannot "${action}" yet` });
      return;
    }
    try {
      res.json({ ok: true, action, result: (await run()) ?? null });
    } catch (e) {
      res.status(500).json({ error: (e as Error).message });
    }
  });

  /** Whether the request carries the admin token; a wrong one counts against its address. */
  function authorized(req: Request): boolean {
    const header = req.get('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!opts.adminToken || given === '') return false;
    const ok = sameToken(given, opts.adminToken);
    if (!ok) probes.recordFailure(req.ip ?? '');
    return ok;
  }
  function throttled(req: Request, res: Response): boolean {
    const wait = probes.blockedFor(req.ip ?? '');
    if (wait > 0) res.status(429).set('Retry-After', String(wait)).json({ error: `too many wrong admin tokens; try again in ${wait} s` });
    return wait > 0;
  }
  function requireAdmin(req: Request, res: Response, next: NextFunction): void {
    if (throttled(req, res)) return;
    if (!opts.adminToken) {
      res.status(403).json({ error: 'admin actions are disabled: start the coordinator with an admin token' });
    } else if (!authorized(req)) {
      res.status(401).json({ error: 'wrong or missing admin token (Authorization: Bearer <token>)' });
    } else next();
  }

  // Express's default error handler answers with the error's stack trace (file paths, library versions):
  // a visitor gets a status and one line instead.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string };
    const status = e.status ?? e.statusCode ?? 500;
    res.status(status).json({ error: status < 500 && e.expose !== false ? (e.message ?? 'bad request') : 'internal error' });
  });
  return router;
}
