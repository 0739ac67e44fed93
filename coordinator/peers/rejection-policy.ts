// One rule for a result the coordinator will not use, whether the round loop's screening or the session's
// routing refused it: count it against the peer; at the limit of rejections in a row (an accepted result
// resets the count) the peer is dropped with a fatal ERR_RESULT_REJECTED, otherwise it is told and stays.
import type { Message } from '../../protocol/messages.ts';
import type { PeerRegistry } from './registry.ts';

export interface Rejection {
  peerId: string;
  /** Why the result was not used: the peer's lastRejection, and the kick's reason at the limit. */
  reason: string;
  /** The text of the non-fatal error the peer is told below the limit. */
  notice: string;
}

export function rejectResult(registry: PeerRegistry<Message>, maxInARow: number, r: Rejection): 'kicked' | 'told' {
  if (registry.recordRejection(r.peerId, r.reason) >= maxInARow) {
    registry.kick(r.peerId, 'ERR_RESULT_REJECTED', `${maxInARow} results rejected in a row, last: ${r.reason}`);
    return 'kicked';
  }
  try {
    registry.get(r.peerId)?.link.send({ type: 'error', code: 'ERR_RESULT_REJECTED', message: r.notice, fatal: false });
  } catch {
    // the peer is going away; its session removes it from the registry
  }
  return 'told';
}
