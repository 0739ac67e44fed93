// The tab's training Web Worker (bundled as dist/browser/peer-worker.js, a classic worker). It picks the tfjs
// backend, holds the model and runs the unchanged peer/core trainer, so a training step (seconds for the
// small preset) never freezes the page. The page (WorkerEngine in compute-engine.ts) keeps socket.io and
// WebRTC and relays protocol messages both ways. Worker globals only: no DOM.
import { encodeMessage, type Message } from '../../protocol/messages.ts';
import { ProtocolError } from '../../protocol/errors.ts';
import type { MessageEndpoint } from '../../protocol/transport.ts';
import { runPeer, type PeerTrainer } from '../core/peer-trainer.ts';
import type { StlmConfig } from '../../model/config.ts';
import { stlmPeerModel } from '../core/stlm-peer-model.ts';
import { ThreadedModel } from '../core/threaded-model.ts';
import { pickBackend, type BackendChoice } from './pick-backend.ts';
import { webTrainWorkerPort } from './web-train-worker.ts';
import type { PageToWorker, WorkerToPage } from './worker-protocol.ts';

/** The dedicated-worker scope, typed by hand (the project compiles against the DOM lib). */
interface WorkerScope {
  postMessage(msg: WorkerToPage, transfer?: Transferable[]): void;
  addEventListener(type: 'message', cb: (ev: MessageEvent<PageToWorker>) => void): void;
}
const scope = globalThis as unknown as WorkerScope;
const post = (msg: WorkerToPage, transfer: Transferable[] = []) => scope.postMessage(msg, transfer);

/** runPeer's transport inside the worker: messages come from the page, encoded messages go back to it. */
class RelayEndpoint implements MessageEndpoint {
  private messageCbs: ((msg: Message) => void)[] = [];
  private invalidCbs: ((err: ProtocolError) => void)[] = [];

  send(msg: Message): void {
    // Encoded here: an invalid message throws now, to the trainer, as MessageTransport.send does. The copy
    // owns its buffer (msgpackr's output shares one with later messages), so it can be moved, not cloned.
    const bytes = encodeMessage(msg).slice();
    post({ type: 'send', bytes }, [bytes.buffer]);
  }
  onMessage(cb: (msg: Message) => void): void {
    this.messageCbs.push(cb);
  }
  onInvalid(cb: (err: ProtocolError) => void): void {
    this.invalidCbs.push(cb);
  }
  deliver(msg: Message): void {
    for (const cb of this.messageCbs) cb(msg);
  }
  invalid(err: ProtocolError): void {
    for (const cb of this.invalidCbs) cb(err);
  }
}

let endpoint: RelayEndpoint | undefined;
let trainer: PeerTrainer | undefined;
let choice: BackendChoice | undefined;
let wasmPaths = '';
const TRAIN_WORKER_URL = new URL('./train-worker.js', (globalThis as unknown as { location: Location }).location.href);

/** On wasm with more than one core, one training worker per core (pick-backend.ts says why); else here. */
function createModel(config: StlmConfig, seed: number) {
  if (choice?.name !== 'wasm' || choice.threads <= 1) return stlmPeerModel(config, seed);
  return ThreadedModel.create(config, seed, {
    threads: choice.threads,
    spawn: () => webTrainWorkerPort(TRAIN_WORKER_URL),
    wasmPaths,
    onWorkerLost: (index, reason, left) => console.warn(`[peer] training worker ${index} ${reason}; training goes on with ${left}`),
  });
}

scope.addEventListener('message', (ev) => {
  const m = ev.data;
  switch (m.type) {
    case 'init':
      wasmPaths = m.wasmPaths;
      pickBackend({ wasmPaths: m.wasmPaths, force: m.force, config: m.config }).then(
        (c) => {
          choice = c;
          post({ type: 'backend', choice: c });
        },
        (e: unknown) => post({ type: 'backend-error', message: e instanceof Error ? e.message : String(e) }),
      );
      return;
    case 'start':
      if (trainer) return;
      endpoint = new RelayEndpoint();
      trainer = runPeer({
        transport: endpoint,
        welcome: m.welcome,
        backendName: m.backendName,
        createModel,
        onStats: (stats) => post({ type: 'stats', stats }),
        onClosed: (reason) => post({ type: 'closed', reason }),
      });
      return;
    case 'message':
      endpoint?.deliver(m.msg);
      return;
    case 'invalid':
      endpoint?.invalid(new ProtocolError(m.code, m.message));
      return;
    case 'stop':
      if (trainer) trainer.stop(m.reason);
      else post({ type: 'closed', reason: m.reason });
      return;
  }
});
