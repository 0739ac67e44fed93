// Reads GET /api/status (same origin) for the dashboard and the peer page: the contract of protocol/status.ts.
import { STATUS_VERSION, type CoordinatorStatus } from '../protocol/status.ts';

export type { CoordinatorStatus };

export async function fetchStatus(): Promise<CoordinatorStatus> {
  const res = await fetch('/api/status', { cache: 'no-store' });
  if (!res.ok) throw new Error(`/api/status answered ${res.status}`);
  const status = (await res.json()) as CoordinatorStatus;
  if (status.statusVersion !== STATUS_VERSION) {
    throw new Error(`/api/status speaks version ${status.statusVersion}, this page reads version ${STATUS_VERSION}: reload the page`);
  }
  return status;
}
