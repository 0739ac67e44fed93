// Admission's figures in /metrics: joins refused by code, and the limit in force.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Admission } from '../peers/admission.ts';

export function registerAdmissionMetrics(registry: Registry, admission: Admission): void {
  const registers = [registry];
  const refused = new Counter({
    name: 'stlm_joins_refused_total',
    help: 'Joins refused by admission control, by error code (ERR_FULL, ERR_ADDRESS_LIMIT, ERR_RATE_LIMITED, ERR_BACKOFF)',
    labelNames: ['code'] as const,
    registers,
  });
  // Every code appears from the start at 0, so a dashboard's rate() has a series before the first refusal.
  for (const code of Object.keys(admission.status().refused)) refused.inc({ code }, 0);
  admission.onRefused((code) => refused.inc({ code }));
  new Gauge({
    name: 'stlm_max_peers', help: 'Peers the coordinator serves at once (--max-peers)', registers,
    collect() {
      this.set(admission.limits.maxPeers);
    },
  });
  new Gauge({
    name: 'stlm_misbehaviour_drops', help: 'Peers dropped for misbehaviour (their address and token then wait to rejoin)', registers,
    collect() {
      this.set(admission.status().misbehaviourDrops);
    },
  });
}
