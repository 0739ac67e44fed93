// The peer page (`/`): "Join training" turns this tab into a peer running the shared peer/core loop.
// `?token=` carries the join token, `?join=1` joins at once, `?backend=wasm|webgl|webgpu|cpu` forces a backend,
// `?worker=0` trains on the page itself instead of in a Web Worker, `?transport=webrtc|relay` insists on one road
// for the frames (default: WebRTC, then the coordinator's socket relay if no data channel opens).
import type { BackendName } from '../../model/backend.ts';
import type { PeerStats } from '../core/peer-stats.ts';
import { formatRate } from '../core/peer-stats.ts';
import type { BackendChoice } from './pick-backend.ts';
import { startEngine } from './compute-engine.ts';
import type { ComputeEngine } from './engine.ts';
import { BrowserSession, ProblemError, type UserProblem } from './browser-session.ts';
import { TRANSPORT_CHOICES } from '../core/connect.ts';
import { LineChart } from '../../ui/line-chart.ts';
import { fetchStatus } from '../../ui/status-client.ts';
import { bitsPerByteFromNats } from '../../common/units.ts';
import { leavesWhenHidden, watchPageLifecycle } from './page-lifecycle.ts';

const params = new URLSearchParams(location.search);
const token = params.get('token') ?? '';
const forced = params.get('backend') as BackendName | null;
const useWorker = params.get('worker') !== '0';
const transport = TRANSPORT_CHOICES.find((t) => t === params.get('transport')) ?? 'auto';
const WORKER_URL = new URL('./peer-worker.js', import.meta.url);
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const joinButton = $<HTMLButtonElement>('join');
// The dashboard draws the join link as a QR code when it has the token: pass it on.
if (token) $<HTMLAnchorElement>('dashboard-link').href = `/dashboard?token=${encodeURIComponent(token)}`;
const leaveButton = $<HTMLButtonElement>('leave');

interface ReadyEngine {
  engine: ComputeEngine;
  choice: BackendChoice;
}
/**
 * The engine (worker, or the page as a fallback) and its backend are set up as soon as the page loads, so the
 * tab shows them before joining and joins faster. A worker trains one session; a new one is prepared after it.
 */
async function prepareEngine(): Promise<ReadyEngine> {
  // The backend check trains a step of the run's own model; without a coordinator, of the default one.
  const config = await fetchStatus().then((s) => s.config, () => undefined);
  return startEngine(WORKER_URL, { wasmPaths: '/tfjs-wasm/', force: forced ?? undefined, config }, useWorker).then(({ engine, choice, note }) => {
    $('backend').textContent = choice.name + (choice.threads > 1 ? ` ×${choice.threads}` : '');
    $('compute').textContent = engine.where;
    document.body.dataset.compute = engine.where;
    // Not "[peer] training ...": tests wait for that line as the sign that a step started.
    console.info(`[peer] compute in the ${engine.where}, backend ${choice.name}`);
    const report = note ? [note, ...choice.report] : choice.report;
    $('backend-report').replaceChildren(...report.map((line) => Object.assign(document.createElement('li'), { textContent: line })));
    return { engine, choice };
  });
}
let engineReady = prepareEngine();
let session: BrowserSession | undefined;

function setConnection(text: string, kind: 'on' | 'off' | 'wait' | 'bad'): void {
  const el = $('conn');
  el.textContent = text;
  el.className = `pill ${kind}`;
  document.body.dataset.state = kind;
}

function showProblem(p: UserProblem | undefined): void {
  $('problem').hidden = !p;
  $('problem-title').textContent = p?.title ?? '';
  $('problem-detail').textContent = p?.detail ?? '';
}

let lastState = '';
function showStats(s: PeerStats): void {
  if (s.state !== lastState) {
    // Logged as each state arrives (on the page path training blocks this thread right after this line).
    console.info(`[peer] ${s.state} round ${s.round}`);
    lastState = s.state;
  }
  $('round').textContent = s.round < 0 ? '-' : String(s.round);
  $('rate').textContent = s.roundsDone > 0 ? formatRate(s.bytesPerSec) : '-';
  $('share').textContent = Number.isFinite(s.share) ? `${Math.round(s.share * 100)}%` : '-';
  $('rounds').textContent = String(s.roundsDone);
  $('loss').textContent = Number.isFinite(s.loss) ? bitsPerByteFromNats(s.loss).toFixed(3) : '-';
  if (s.state === 'training' || s.state === 'ready') setConnection(s.state === 'training' ? 'training' : 'connected', 'on');
  else if (s.state === 'syncing') setConnection('downloading model', 'wait');
  // Tests (and curious people in devtools) read these.
  document.body.dataset.rounds = String(s.roundsDone);
  document.body.dataset.peerState = s.state;
}

async function join(): Promise<void> {
  if (session) return;
  joinButton.disabled = true;
  showProblem(undefined);
  try {
    const { engine, choice } = await engineReady;
    setConnection('connecting', 'wait');
    const s = new BrowserSession(location.origin, token, choice, engine, transport);
    session = s;
    const peerId = await s.join({
      // A session that ended (Leave) says nothing more: a worker may still finish the step it was in.
      onStats: (st) => {
        if (session === s) showStats(st);
      },
      onEnded: (_reason, problem) => {
        if (session !== s) return;
        session = undefined;
        // A leave of our own (hidden tab) is no problem to show: the notice already says what happened.
        if (pausedBy === 'hidden' || pausedBy === 'frozen') problem = undefined;
        // That engine trained its session (its worker is stopped and terminated): prepare a fresh one for the next join.
        engineReady = prepareEngine();
        engineReady.catch(showBackendFailure);
        setConnection(problem ? 'disconnected' : 'not connected', problem ? 'bad' : 'off');
        showProblem(problem);
        joinButton.hidden = false;
        joinButton.disabled = false;
        leaveButton.hidden = true;
      },
    });
    document.body.dataset.peerId = peerId;
    const road = s.transportKind ?? 'webrtc';
    $('transport').textContent = road === 'relay' ? 'relay (through the coordinator)' : 'WebRTC (direct)';
    document.body.dataset.transport = road;
    if (pausedBy === undefined && $('notice').textContent?.startsWith('Welcome back')) showNotice('');
    setConnection('connected', 'on');
    joinButton.hidden = true;
    leaveButton.hidden = false;
  } catch (e) {
    session = undefined;
    setConnection('not connected', 'bad');
    showProblem(e instanceof ProblemError ? e.problem : { title: 'Could not start', detail: (e as Error).message });
    joinButton.disabled = false;
  }
}

joinButton.addEventListener('click', () => void join());
leaveButton.addEventListener('click', () => session?.leave('left from the page'));
// Closing or hiding-for-good the tab: say goodbye so the coordinator reassigns our batch at once.
addEventListener('pagehide', () => session?.leave('tab closed'));
// A frozen page (a phone's background tab) cannot train or answer heartbeats: leave rather than stall a round.
document.addEventListener('freeze', () => {
  if (session) pausedBy = 'frozen';
  session?.leave('tab frozen');
});

/** Why this tab left on its own (hidden, frozen, the device slept): it joins again when the person is back. */
let pausedBy: 'hidden' | 'frozen' | undefined;
function showNotice(text: string): void {
  $('notice').hidden = text === '';
  $('notice').textContent = text;
}
const leaveHidden = leavesWhenHidden(params.get('background'), matchMedia('(pointer: coarse)').matches);
watchPageLifecycle(document, {
  onHidden() {
    if (!session || !leaveHidden) return;
    pausedBy = 'hidden';
    session.leave('tab hidden');
    showNotice('Training paused: this tab was hidden, so it left the run (its work went to the other peers). It joins again when you come back.');
  },
  onVisible(awayMs) {
    if (pausedBy !== 'hidden' && pausedBy !== 'frozen') return;
    showNotice(`Welcome back: training was paused for ${Math.round(awayMs / 1000)} s. Joining again…`);
    rejoin();
  },
  onWoke(sleptMs) {
    const wasIn = session !== undefined || pausedBy !== undefined;
    showNotice(`This device slept (or froze the tab) for about ${Math.round(sleptMs / 1000)} s: training paused meanwhile.` +
      (wasIn ? ' Joining again if the coordinator dropped this tab…' : ''));
    if (wasIn && !session) rejoin();
  },
});
function rejoin(): void {
  pausedBy = undefined;
  void join();
}

const chart = new LineChart($('loss-chart'), 'round', [{ label: 'training loss (bits per byte)', color: '#2563eb' }]);
async function refreshRun(): Promise<void> {
  try {
    const status = await fetchStatus();
    chart.setData(status.recentLoss.map((r) => r.round), [status.recentLoss.map((r) => bitsPerByteFromNats(r.loss))]);
  } catch {
    // the connection pill and the problem box already say when the coordinator is gone
  }
}
void refreshRun();
setInterval(() => void refreshRun(), 2000);

function showBackendFailure(e: Error): void {
  showProblem({ title: 'This browser cannot run the model', detail: `no tfjs backend works here: ${e.message}` });
}
engineReady.catch(showBackendFailure);
if (!token) showProblem({ title: 'No join token in this link', detail: 'Open the link the coordinator printed when it started: it ends in ?token=….' });
if (params.get('join') === '1') void join();
