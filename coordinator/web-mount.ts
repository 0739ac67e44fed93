// The mount point for the browser pages and dashboard (coordinator/web.ts, owned by the browser work).
// If coordinator/web.ts exists and exports `createWebRouter(ctx: WebRouterContext)`, its router is mounted at
// the root of the coordinator's HTTP server; without it the coordinator still serves the API.
import { existsSync } from 'node:fs';
import type { Express, RequestHandler } from 'express';
import type { CoordinatorStatus } from './status.ts';

export interface WebRouterContext {
  /** The same JSON that GET /api/status returns. */
  getStatus(): CoordinatorStatus;
  /** The join token peers must present (pages may prefill it from `?token=`). */
  token: string;
  /** The coordinator's own base URL, e.g. http://127.0.0.1:8080 (known once listening). */
  baseUrl(): string;
}

export async function mountWebRouter(app: Express, ctx: WebRouterContext): Promise<boolean> {
  const url = new URL('./web.ts', import.meta.url);
  if (!existsSync(url)) return false;
  // A URL specifier keeps TypeScript from requiring the file to exist before the browser work lands.
  const mod: { createWebRouter?: (ctx: WebRouterContext) => RequestHandler | Promise<RequestHandler> } =
    await import(url.href);
  if (typeof mod.createWebRouter !== 'function') return false;
  app.use(await mod.createWebRouter(ctx));
  return true;
}
