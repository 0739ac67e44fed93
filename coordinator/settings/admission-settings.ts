// Admission settings (coordinator/peers/admission.ts): how many peers, from where, how fast, and how long a
// peer dropped for misbehaviour waits. Kept beside settings.ts, which embeds the schema as `admission`.
import { z } from 'zod';

export const admissionSchema = z
  .strictObject({
    /** Peers served at once; 0 = sized to the model and the machine (admission.ts's defaultMaxPeers, at most 64). */
    maxPeers: z.int().min(0).max(100_000),
    /** Peers at once from one address (a lab behind one NAT shares an address: raise it there). */
    maxPeersPerAddress: z.int().min(1),
    /** Join attempts per minute from one address (also its burst). */
    joinsPerMinutePerAddress: z.int().min(1),
    /** Join attempts per minute from everyone together (also the burst). */
    joinsPerMinute: z.int().min(1),
    /** Rejoin wait after a first drop for misbehaviour; doubles per drop up to maxBackoffMs. */
    backoffMs: z.int().min(0),
    maxBackoffMs: z.int().min(0),
  })
  // backoffMs 0 turns the backoff off (tests whose bad peers share one address and token); maxBackoffMs is a cap.
  .transform((a) => ({ ...a, maxBackoffMs: Math.max(a.maxBackoffMs, a.backoffMs) }));

export type AdmissionSettings = z.infer<typeof admissionSchema>;

export const DEFAULT_ADMISSION: AdmissionSettings = {
  maxPeers: 0,
  maxPeersPerAddress: 8,
  // A Node peer retries with backoff and a tab joins once per load: 30 a minute is far above honest use.
  joinsPerMinutePerAddress: 30,
  joinsPerMinute: 600,
  backoffMs: 30_000,
  maxBackoffMs: 30 * 60_000,
};
