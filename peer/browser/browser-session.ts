// One tab's membership in the run: connect with the page's token, run the shared peer/core training loop
// (in the engine's Web Worker, or on the page without one), leave cleanly. Failures are turned into
// messages a person can act on.
import { io } from 'socket.io-client';
import type SimplePeerType from 'simple-peer';
import {
  connectToCoordinator, ConnectError, type IoLike, type SimplePeerLike, type CoordinatorConnection, type TransportChoice,
} from '../core/connect.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import type { PeerStats } from '../core/peer-stats.ts';
import type { BackendChoice } from './pick-backend.ts';
import { modelBudgetBytes } from '../core/model-budget.ts';
import type { ComputeEngine, TrainingRun } from './engine.ts';

/** simple-peer's ready browser build (simplepeer.min.js) defines this global. */
declare const SimplePeer: typeof SimplePeerType | undefined;

export interface SessionEvents {
  onStats(s: PeerStats): void;
  /** The session ended; `problem` is set when it ended on an error the user should see. */
  onEnded(reason: string, problem?: UserProblem): void;
}

export interface UserProblem {
  title: string;
  detail: string;
}

export class BrowserSession {
  private conn: CoordinatorConnection | undefined;
  private trainer: TrainingRun | undefined;
  private leaving = false;

  /** `engine` runs the trainer; it is used for this one session. */
  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly choice: BackendChoice,
    private readonly engine: ComputeEngine,
    private readonly transport: TransportChoice = 'auto',
  ) {}

  /** How this session's frames travel, once joined. */
  get transportKind(): CoordinatorConnection['transportKind'] | undefined {
    return this.conn?.transportKind;
  }

  async join(events: SessionEvents): Promise<string> {
    if (typeof SimplePeer === 'undefined') throw new Error('simplepeer.min.js did not load');
    let socketReached = false;
    // Wraps io to learn whether the signaling socket got through: a timeout after that means WebRTC itself
    // could not connect (ICE), not that the coordinator is down.
    const watchedIo: IoLike = (url, opts) => {
      const socket = (io as unknown as IoLike)(url, opts);
      socket.on('connect', () => (socketReached = true));
      return socket;
    };
    try {
      this.conn = await connectToCoordinator({
        url: this.url,
        token: this.token,
        peerKind: 'browser',
        backend: this.choice.name,
        threads: this.choice.threads,
        backendStepMs: this.choice.stepMs,
        io: watchedIo,
        SimplePeer: SimplePeer as unknown as SimplePeerLike,
        transport: this.transport,
        // A browser with WebRTC turned off (or a privacy extension that removes it) goes straight to the relay.
        webrtcAvailable: typeof RTCPeerConnection !== 'undefined',
        // A little longer than the coordinator's data-channel timeout (20 s), so its reason arrives first.
        timeoutMs: 25_000,
        maxModelBytes: tabModelBudget(),
      });
    } catch (e) {
      throw new ProblemError(describeFailure(e, this.url, socketReached));
    }
    const conn = this.conn;
    this.trainer = this.engine.train({
      transport: conn.transport,
      welcome: conn.welcome,
      backendName: this.choice.name,
      onStats: events.onStats,
      onClosed: () => conn.close(),
    });
    void conn.closed.then((reason) => {
      this.trainer?.stop(reason);
      const problem = this.leaving ? undefined : { title: 'Disconnected from the coordinator', detail: `${reason}. Join again when it is back.` };
      events.onEnded(reason, problem);
    });
    return conn.welcome.peerId;
  }

  /** Tells the coordinator we go (so our batch is reassigned at once), then closes. Safe to call twice. */
  leave(reason: string): void {
    if (this.leaving) return;
    this.leaving = true;
    // The goodbye first: stopping the trainer closes the connection (its onClosed).
    this.conn?.leave(reason);
    this.trainer?.stop(reason);
  }
}

export class ProblemError extends Error {
  constructor(readonly problem: UserProblem) {
    super(`${problem.title}: ${problem.detail}`);
  }
}

/** Failures with an explanation of their own; any other code gets the generic one in describeFailure. */
const EXPLANATIONS: Partial<Record<ErrorCode, (message: string, url: string) => UserProblem>> = {
  ERR_TOKEN: () => ({
    title: 'Wrong join token',
    detail: 'Open the exact link the coordinator printed when it started: it carries the token as ?token=….',
  }),
  ERR_PROTOCOL_VERSION: (message) => ({ title: 'This page is out of date', detail: `${message}. Reload the page.` }),
  ERR_RELAY_DISABLED: () => ({
    title: 'WebRTC is blocked',
    detail:
      'The direct WebRTC connection failed and this coordinator runs with --no-relay. Start it without --no-relay, ' +
      'or give it a TURN server (--ice-server turn:user:pass@turn.example.org:3478), then join again.',
  }),
  ERR_MODEL_TOO_LARGE: (message) => ({ title: 'The model is too large for this device', detail: `${message}.` }),
  ERR_FULL: (message) => ({ title: 'The run is full', detail: `${message}. Try again later.` }),
  ERR_ADDRESS_LIMIT: (message) => ({ title: 'Too many peers from this network', detail: `${message}. Close another tab or peer, then join again.` }),
  ERR_RATE_LIMITED: (message) => ({ title: 'Too many joins', detail: `${message}.` }),
  ERR_BACKOFF: (message) => ({ title: 'Refused for a while', detail: `${message}.` }),
  ERR_CONNECT: (_message, url) => ({
    title: 'Coordinator unreachable',
    detail: `No answer from ${url}. Is the coordinator running, and is this the address it printed?`,
  }),
};

function describeFailure(e: unknown, url: string, socketReached: boolean): UserProblem {
  const code = e instanceof ConnectError ? e.code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  const explain = code && EXPLANATIONS[code];
  if (explain) return explain(message, url);
  // connectToCoordinator only fails before the data channel opens: once the signaling socket got
  // through, any other failure (ICE error, data-channel or heartbeat timeout) means WebRTC could not connect.
  if (socketReached) {
    return {
      title: 'WebRTC is blocked',
      detail:
        `The coordinator answered, but the direct WebRTC connection failed (${code ?? 'ERR'}: ${message}). ` +
        'A firewall or NAT is in the way: start the coordinator with STUN/TURN servers, e.g. ' +
        '--ice-server stun:stun.example.org:3478 or --ice-server turn:user:pass@turn.example.org:3478, then join again, ' +
        'or join without ?transport=webrtc to go through the coordinator\'s relay.',
    };
  }
  return { title: 'Coordinator unreachable', detail: `${message}. Check that the coordinator is running at ${url}.` };
}

/** What this tab gives a model: half of the device's memory as the browser reports it (navigator.deviceMemory,
 * GiB, rounded and at most 8; Chromium only), else the 2 GiB of a modest device; never more than a wasm heap. */
function tabModelBudget(): number {
  const gib = (globalThis.navigator as { deviceMemory?: number } | undefined)?.deviceMemory;
  return modelBudgetBytes((typeof gib === 'number' && gib > 0 ? gib : 2) * 1024 ** 3);
}
