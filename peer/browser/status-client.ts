// Reads GET /api/status (same origin). The shape is the coordinator's; only types cross the boundary.
import type { CoordinatorStatus } from '../../coordinator/status.ts';

export type { CoordinatorStatus };

export async function fetchStatus(): Promise<CoordinatorStatus> {
  const res = await fetch('/api/status', { cache: 'no-store' });
  if (!res.ok) throw new Error(`/api/status answered ${res.status}`);
  return (await res.json()) as CoordinatorStatus;
}
