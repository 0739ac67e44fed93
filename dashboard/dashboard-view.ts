// Pure rendering helpers for the dashboard: status JSON in, DOM rows and strings out.
// Fields that newer coordinators add (round time split, consolidation figures) are read when present.
import type { CoordinatorStatus } from '../protocol/status.ts';

type Peer = CoordinatorStatus['peers'][number];
type Checkpoint = CoordinatorStatus["checkpoints"][number];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '-';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) (n /= 1000), i++;
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

function cells(tr: HTMLTableRowElement, values: string[]): HTMLTableRowElement {
  for (const v of values) tr.insertCell().textContent = v;
  return tr;
}

/** A peer's row; `share` is its part of the bytes the connected peers contributed. */
export function peerRow(p: Peer, share: number): HTMLTableRowElement {
  const tr = document.createElement('tr');
  tr.dataset.peer = p.id;
  tr.dataset.kind = p.kind;
  // A coordinator older than the transport field had only data channels.
  const transport = p.transport ?? 'webrtc';
  tr.dataset.transport = transport;
  return cells(tr, [
    p.id, p.kind, p.threads > 1 ? `${p.backend} ×${p.threads}` : p.backend, p.state, transport, `${formatBytes(p.bytesPerSec)}/s`,
    `${Math.round(share * 100)}%`, String(p.roundsContributed), ago(p.lastSeen),
  ]);
}

/** Consolidation figures may sit on the checkpoint or in a nested `consolidation` object. */
function figure(checkpoint: Checkpoint, ...names: string[]): unknown {
  const c = checkpoint as Checkpoint & Record<string, unknown>;
  const nested = (c.consolidation ?? c.consolidated) as Record<string, unknown> | undefined;
  for (const n of names) {
    if (c[n] !== undefined) return c[n];
    if (nested && nested[n] !== undefined) return nested[n];
  }
  return undefined;
}

export function checkpointRow(c: Checkpoint): HTMLTableRowElement {
  const size = figure(c, 'sizeBytes', 'bytes', 'size');
  const ratio = figure(c, 'sizeRatio');
  // `overallSparsity` is what was achieved; a bare `sparsity` may be the target (then only if a number).
  const sparsity = figure(c, 'overallSparsity', 'sparsity');
  const delta = figure(c, 'bpbDelta', 'deltaBpb');
  const file = c.path.split(/[\\/]/).pop() ?? c.path;
  return cells(document.createElement('tr'), [
    String(c.round),
    ago(c.at),
    file,
    typeof size === 'number' ? formatBytes(size) + (typeof ratio === 'number' ? ` (${(ratio * 100).toFixed(0)}% of fp32)` : '') : '-',
    typeof sparsity === 'number' ? `${(sparsity * 100).toFixed(1)}%` : '-',
    typeof delta === 'number' ? `${delta >= 0 ? '+' : ''}${delta.toFixed(4)}` : '-',
  ]);
}

const PHASES: Array<{ key: string[]; label: string; color: string }> = [
  { key: ['computeMs'], label: 'compute', color: '#2563eb' },
  // The coordinator's transferMs is the wait beyond the slowest compute: transfers, model loading, queuing.
  { key: ['transferMs', 'networkMs', 'commMs'], label: 'transfer + waiting', color: '#f59e0b' },
  { key: ['aggregationMs', 'aggregateMs'], label: 'aggregation', color: '#16a34a' },
  { key: ['broadcastMs'], label: 'broadcast', color: '#9333ea' },
];

/** The last round's time, split into phases when the coordinator reports them. */
export function renderTiming(el: HTMLElement, status: CoordinatorStatus): void {
  const last = status.recentLoss.at(-1) as (CoordinatorStatus['recentLoss'][number] & Record<string, unknown>) | undefined;
  if (!last) {
    el.textContent = status.waitingForPeers ? 'waiting for peers' : 'no round yet';
    return;
  }
  const timing = { ...last, ...((last.timing as Record<string, unknown> | undefined) ?? {}) };
  const parts = PHASES.map((p) => ({ ...p, ms: p.key.map((k) => timing[k]).find((v) => typeof v === 'number') as number | undefined }));
  const known = parts.filter((p) => p.ms !== undefined);
  const total = last.durationMs;
  const head = document.createElement('div');
  head.textContent = `round ${last.round}: ${total.toFixed(0)} ms`;
  if (known.length === 0) {
    const note = Object.assign(document.createElement('span'), { className: 'muted', textContent: ' (this coordinator reports no phase split)' });
    head.append(note);
    el.replaceChildren(head);
    return;
  }
  const bar = Object.assign(document.createElement('div'), { className: 'split' });
  const legend = Object.assign(document.createElement('div'), { className: 'legend' });
  const sum = known.reduce((s, p) => s + p.ms!, 0) || 1;
  for (const p of known) {
    const seg = document.createElement('span');
    seg.style.width = `${(100 * p.ms!) / sum}%`;
    seg.style.background = p.color;
    seg.title = `${p.label} ${p.ms!.toFixed(0)} ms`;
    bar.append(seg);
    const i = document.createElement('i');
    i.style.background = p.color;
    legend.append(i, `${p.label} ${p.ms!.toFixed(0)} ms`);
  }
  el.replaceChildren(head, bar, legend);
}

/** One line on how checkpoints are consolidated, where a gradual schedule stands, and the last failure. */
export function describeConsolidation(c: CoordinatorStatus['consolidation'] | undefined): string {
  if (!c) return '-';
  const pct = (x: number | '2:4') => (x === '2:4' ? '2:4' : `${(x * 100).toFixed(1)}%`);
  const policy = `${pct(c.sparsity)} sparsity (${c.scope}), ${c.quant}, ${c.schedule}` +
    (c.schedule !== 'oneshot' ? ` (now ${pct(c.currentSparsity)})` : '');
  const when = c.atCheckpoints ? `Each checkpoint is consolidated: ${policy}.` : `Checkpoints are consolidated on demand only: ${policy}.`;
  return c.lastError ? `${when} Last consolidation failed: ${c.lastError}` : when;
}

/** A warning while checkpoint writes fail (full or read-only disk: training goes on, writes are retried); '' otherwise. */
export function describeCheckpointWrites(w: CoordinatorStatus['checkpointWrites']): string {
  if (!w || (w.failuresInARow === 0 && w.lastWrittenAt !== null) || w.lastError === null) return '';
  const next = w.nextRetryAt ? `; next try at ${w.nextRetryAt.slice(11, 19)} UTC` : '';
  const count = w.failuresInARow > 0 ? ` (${w.failuresInARow} failed in a row)` : '';
  return `Checkpoints are not being written${count}: ${w.lastError}${next}. Training goes on.`;
}
