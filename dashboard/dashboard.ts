// The dashboard (`/dashboard`): polls /api/status every second and redraws; `?admin=TOKEN` shows the
// admin actions (the coordinator checks the token on every POST; the page only hides buttons).
import { fetchStatus, type CoordinatorStatus } from '../ui/status-client.ts';
import { LineChart } from '../ui/line-chart.ts';
import { checkpointRow, describeCheckpointWrites, describeConsolidation, formatBytes, peerRow, renderTiming } from './dashboard-view.ts';
import { renderTasks } from './tasks-view.ts';
import { countdown, msPerRound, peerShares, swarmThroughput } from './insights.ts';
import { showJoinQr } from './join-qr.ts';
import { bitsPerByteFromNats } from '../common/units.ts';

const $ = (id: string) => document.getElementById(id) as HTMLElement;
const query = new URLSearchParams(location.search);
const adminToken = query.get('admin') ?? '';
const lossChart = new LineChart($('loss-chart'), 'round', [{ label: 'training loss (bpb)', color: '#2563eb' }]);
const bpbChart = new LineChart($('bpb-chart'), 'round', [
  { label: 'validation bpb', color: '#dc2626' },
  { label: 'gzip -9', color: '#64748b', dash: [6, 4] },
  { label: 'brotli -q 11', color: '#0f766e', dash: [2, 3] },
]);
const MINUTE_TICKS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 240, 600, 1440];
const speedChart = new LineChart($('speed-chart'), 'minutes', [{ label: 'swarm bytes/s', color: '#7c3aed' }], 180, MINUTE_TICKS);
let sampledAtRound = -1;

function render(s: CoordinatorStatus): void {
  $('run').textContent = `run ${s.runId} · preset ${s.preset} · ${s.numParams.toLocaleString()} parameters · ${s.mode}` +
    `${s.mode === 'local-steps' ? ` (H=${s.localSteps})` : ''} · codec ${s.codec} · ${s.aggregator}` +
    (s.waitingForPeers ? ' · waiting for peers' : '') + ((s as { paused?: boolean }).paused ? ' · PAUSED' : '');
  $('round').textContent = String(s.round);
  $('version').textContent = String(s.modelVersion);
  $('peer-count').textContent = String(s.peers.length);
  $('bytes').textContent = formatBytes(s.bytesProcessed);
  const last = s.recentLoss.at(-1);
  $('loss').textContent = last ? bitsPerByteFromNats(last.loss).toFixed(3) : '-';
  $('bpb').textContent = s.lastValidationBpb === null ? '-' : s.lastValidationBpb.toFixed(3);
  const shares = peerShares(s.peers);
  $('peers').querySelector('tbody')!.replaceChildren(...s.peers.map((p) => peerRow(p, shares.get(p.id) ?? 0)));
  renderProgress(s);
  $('checkpoints').querySelector('tbody')!.replaceChildren(...[...s.checkpoints].reverse().map((c) => checkpointRow(c)));
  $('consolidation-policy').textContent = describeConsolidation(s.consolidation);
  const writes = describeCheckpointWrites(s.checkpointWrites);
  $('checkpoint-writes').textContent = writes;
  $('checkpoint-writes').hidden = writes === '';
  lossChart.setData(s.recentLoss.map((r) => r.round), [s.recentLoss.map((r) => bitsPerByteFromNats(r.loss))]);
  const ref = s.compressorReference;
  bpbChart.setData(s.validation.map((v) => v.round), [
    s.validation.map((v) => v.bpb),
    s.validation.map(() => ref?.gzip ?? null),
    s.validation.map(() => ref?.brotli ?? null),
  ]);
  renderTiming($('timing'), s);
  renderTasks($('tasks'), s.tasks);
  document.body.dataset.round = String(s.round);
  // A new sample whenever a new checkpoint appears (or once at start).
  const latest = s.checkpoints.at(-1)?.round ?? 0;
  if (latest !== sampledAtRound) {
    sampledAtRound = latest;
    void refreshSample();
  }
}

/** Swarm speed, the compressors' figures and the countdowns to the next validation and checkpoint. */
function renderProgress(s: CoordinatorStatus): void {
  const points = swarmThroughput(s.recentLoss, s.startedAt);
  const recent = points.slice(-5);
  $('speed').textContent = recent.length ? `${formatBytes(recent.reduce((a, p) => a + p.bytesPerSec, 0) / recent.length)}/s` : '-';
  speedChart.setData(points.map((p) => p.minutes), [points.map((p) => p.bytesPerSec)]);
  const ref = s.compressorReference;
  $('reference').textContent = ref ? `${ref.gzip.toFixed(2)} / ${ref.brotli.toFixed(2)}` : 'computing…';
  if (ref) $('reference-note').textContent = `(gzip and brotli for reference, given the last ${formatBytes(ref.contextBytes)} of training text)`;
  const roundMs = msPerRound(s.recentLoss.slice(-10));
  $('next-validation').textContent = countdown(s.round, s.evalEvery, roundMs);
  $('next-checkpoint').textContent = countdown(s.round, s.checkpointEvery, roundMs);
}

let sampling = false;
async function refreshSample(): Promise<void> {
  if (sampling) return;
  sampling = true;
  const box = $('sample');
  if (box.dataset.filled !== '1') box.textContent = 'generating a sample…';
  try {
    const res = await fetch('/api/sample', { cache: 'no-store' });
    const body = (await res.json()) as { text?: string; round?: number; error?: string };
    box.textContent = res.ok ? `${body.text}\n\n(model of round ${body.round})` : `no sample: ${body.error}`;
    box.dataset.filled = res.ok ? '1' : '0';
  } catch (e) {
    box.textContent = `no sample: ${(e as Error).message}`;
  } finally {
    sampling = false;
  }
}

async function tick(): Promise<void> {
  try {
    render(await fetchStatus());
    $('live').textContent = 'live';
    $('live').className = 'pill on';
  } catch (e) {
    $('live').textContent = 'coordinator unreachable';
    $('live').className = 'pill bad';
  }
}

async function setupAdmin(): Promise<void> {
  if (!adminToken) return;
  const res = await fetch('/api/admin', { headers: { authorization: `Bearer ${adminToken}` } });
  const info = (await res.json()) as { actions: string[]; authorized: boolean };
  const box = $('admin');
  box.hidden = false;
  if (!info.authorized) {
    $('admin-result').textContent = 'wrong admin token: the page stays read-only';
    return;
  }
  const labels: Record<string, string> = { pause: 'Pause', resume: 'Resume', checkpoint: 'Checkpoint now', consolidate: 'Consolidate now' };
  $('admin-actions').replaceChildren(
    ...info.actions.map((action) => {
      const b = Object.assign(document.createElement('button'), { textContent: labels[action] ?? action });
      b.dataset.action = action;
      b.addEventListener('click', async () => {
        b.disabled = true;
        const r = await fetch(`/api/admin/${action}`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` } });
        const body = (await r.json()) as { error?: string };
        $('admin-result').textContent = r.ok ? `${action}: done` : `${action}: ${body.error}`;
        b.disabled = false;
        void tick();
      });
      return b;
    }),
  );
  if (info.actions.length === 0) $('admin-result').textContent = 'this coordinator offers no admin actions yet';
}

void tick();
setInterval(() => void tick(), 1000);
void setupAdmin();
void showJoinQr($('join-qr') as HTMLCanvasElement, $('join-note'), $('join-link') as HTMLAnchorElement, query.get('token') ?? '');
