// What the peer page and its training Web Worker (peer-worker.ts) say to each other with postMessage. The
// page keeps socket.io, WebRTC and the framed transport (RTCPeerConnection does not exist in dedicated
// workers); the worker holds tfjs, the model and the peer/core trainer.
import type { Message, MessageOf } from '../../protocol/messages.ts';
import type { ProtocolErrorCode } from '../../protocol/errors.ts';
import type { PeerStats } from '../core/peer-stats.ts';
import type { BackendChoice } from './pick-backend.ts';
import type { BackendName } from '../../model/backend.ts';

export type PageToWorker =
  /** Set up tfjs: pick the backend (probe against wasm) in the worker, where the model will live. */
  | { type: 'init'; wasmPaths: string; force?: BackendName; config?: Record<string, unknown> }
  /** Start the trainer for this welcome; messages follow. */
  | { type: 'start'; welcome: MessageOf<'welcome'>; backendName: string }
  /** A validated message from the coordinator. */
  | { type: 'message'; msg: Message }
  /** A message from the coordinator that failed checks (dropped on the page). */
  | { type: 'invalid'; code: ProtocolErrorCode; message: string }
  | { type: 'stop'; reason: string };

export type WorkerToPage =
  | { type: 'backend'; choice: BackendChoice }
  | { type: 'backend-error'; message: string }
  /** An encoded protocol message to put on the transport as it is (encoded in the worker, so an invalid
   *  message throws there, inside the trainer, as MessageTransport.send would). */
  | { type: 'send'; bytes: Uint8Array }
  | { type: 'stats'; stats: PeerStats }
  /** The trainer stopped (onClosed); the page closes the connection and terminates the worker. */
  | { type: 'closed'; reason: string };

/**
 * The ArrayBuffers behind a message's binary fields that can be moved to the worker instead of copied
 * (a structured clone copies a view's whole buffer). Only plain ArrayBuffers (never shared ones) are listed,
 * each once. The caller must not touch the message afterwards: the buffers are detached on this side.
 * Safe for messages decoded by MessageTransport: each one's bytes are a fresh buffer (a reassembled message,
 * or one data-channel event's data) that nothing else reads later.
 */
export function transferablesOf(msg: Message): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (b: Uint8Array) => {
    if (b.buffer instanceof ArrayBuffer && b.buffer.byteLength > 0) out.add(b.buffer);
  };
  switch (msg.type) {
    case 'model-state':
      add(msg.weights);
      break;
    case 'assignment':
      for (const batch of msg.batches) for (const ex of batch.examples) add(ex);
      break;
    case 'result':
      add(msg.gradient);
      break;
    default:
      break;
  }
  return [...out];
}
