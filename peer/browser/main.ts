// The peer page (`/`): "Join training" turns this tab into a peer running the shared peer/core loop.
// `?token=` carries the join token, `?join=1` joins at once, `?backend=wasm|webgl|webgpu|cpu` forces a backend.
import type { BackendName } from '../../model/backend.ts';
import type { PeerStats } from '../core/peer-stats.ts';
import { formatRate } from '../core/peer-stats.ts';
import { pickBackend, type BackendChoice } from './pick-backend.ts';
import { BrowserSession, ProblemError, type UserProblem } from './browser-session.ts';
import { LineChart } from './line-chart.ts';
import { fetchStatus } from './status-client.ts';

const params = new URLSearchParams(location.search);
const token = params.get('token') ?? '';
const forced = params.get('backend') as BackendName | null;
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

const joinButton = $<HTMLButtonElement>('join');
const leaveButton = $<HTMLButtonElement>('leave');
let backend: BackendChoice | undefined;
// The backend is chosen as soon as the page loads, so the tab shows it before joining and joins faster.
const backendReady = pickBackend({ wasmPaths: '/tfjs-wasm/', force: forced ?? undefined }).then((choice) => {
  $('backend').textContent = choice.name + (choice.threads > 1 ? ` ×${choice.threads}` : '');
  $('backend-report').replaceChildren(...choice.report.map((line) => Object.assign(document.createElement('li'), { textContent: line })));
  return choice;
});
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
    // Logged synchronously: training blocks this thread, so the console is how one sees it start.
    console.info(`[peer] ${s.state} round ${s.round}`);
    lastState = s.state;
  }
  $('round').textContent = s.round < 0 ? '-' : String(s.round);
  $('rate').textContent = s.roundsDone > 0 ? formatRate(s.bytesPerSec) : '-';
  $('share').textContent = Number.isFinite(s.share) ? `${Math.round(s.share * 100)}%` : '-';
  $('rounds').textContent = String(s.roundsDone);
  $('loss').textContent = Number.isFinite(s.loss) ? s.loss.toFixed(3) : '-';
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
    backend ??= await backendReady;
    setConnection('connecting', 'wait');
    const s = new BrowserSession(location.origin, token, backend.name);
    session = s;
    const peerId = await s.join({
      onStats: showStats,
      onEnded: (_reason, problem) => {
        if (session !== s) return;
        session = undefined;
        setConnection(problem ? 'disconnected' : 'not connected', problem ? 'bad' : 'off');
        showProblem(problem);
        joinButton.hidden = false;
        joinButton.disabled = false;
        leaveButton.hidden = true;
      },
    });
    document.body.dataset.peerId = peerId;
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
document.addEventListener('freeze', () => session?.leave('tab frozen'));

const chart = new LineChart($('loss-chart'), 'round', [{ label: 'training loss (nats/byte)', color: '#2563eb' }]);
async function refreshRun(): Promise<void> {
  try {
    const status = await fetchStatus();
    chart.setData(status.recentLoss.map((r) => r.round), [status.recentLoss.map((r) => r.loss)]);
  } catch {
    // the connection pill and the problem box already say when the coordinator is gone
  }
}
void refreshRun();
setInterval(() => void refreshRun(), 2000);

backendReady.catch((e: Error) => showProblem({ title: 'This browser cannot run the model', detail: `no tfjs backend works here: ${e.message}` }));
if (!token) showProblem({ title: 'No join token in this link', detail: 'Open the link the coordinator printed when it started: it ends in ?token=….' });
if (params.get('join') === '1') void join();
