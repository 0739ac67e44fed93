import { describe, expect, it } from 'vitest';
import { PeerRegistry, type PeerLink } from './registry.ts';

type Msg = { n: number };

function fakeLink() {
  const sent: Msg[] = [];
  const closed: Array<[string, string]> = [];
  const link: PeerLink<Msg> = { send: (m) => void sent.push(m), close: (code, reason) => void closed.push([code, reason]) };
  return { link, sent, closed };
}

function registryWith(id = 'a') {
  const registry = new PeerRegistry<Msg>();
  const l = fakeLink();
  registry.add({ id, kind: 'node', backend: 'wasm', link: l.link });
  return { registry, ...l };
}

describe('PeerRegistry', () => {
  it('walks a peer connecting → syncing → ready, and only the last model sent makes it ready', () => {
    const { registry } = registryWith();
    expect(registry.get('a')).toMatchObject({ state: 'connecting', threads: 1, sentVersion: -1 });
    expect(registry.synced()).toEqual([]);
    registry.markSyncing('a');
    registry.markSent('a', 4);
    expect(registry.synced().map((p) => p.id)).toEqual(['a']);
    expect(registry.markReady('a', 3)).toBe(false); // an older state's ack
    expect(registry.get('a')!.state).toBe('syncing');
    expect(registry.markReady('a', 4)).toBe(true);
    expect(registry.readyAt(4).map((p) => p.id)).toEqual(['a']);
    expect(registry.readyAt(5)).toEqual([]);
  });

  it('leaves a peer that missed a deadline out of rounds until its result for that round arrives', () => {
    const { registry } = registryWith();
    registry.markSyncing('a');
    registry.markSent('a', 0);
    registry.markReady('a', 0);
    registry.markMissed('a', 7);
    expect(registry.readyAt(0)).toEqual([]);
    // A stale result of an older round does not re-arm it.
    registry.recordResultArrival('a', 6);
    expect(registry.readyAt(0)).toEqual([]);
    registry.recordResultArrival('a', 7);
    expect(registry.readyAt(0).map((p) => p.id)).toEqual(['a']);
  });

  it('counts rejections in a row until an accepted contribution, and smooths the speed', () => {
    const { registry } = registryWith();
    expect(registry.recordRejection('a', 'NaN')).toBe(1);
    expect(registry.recordRejection('a', 'NaN again')).toBe(2);
    registry.recordContribution('a', 1000, 1000);
    registry.recordContribution('a', 2000, 1000);
    expect(registry.get('a')).toMatchObject({
      rejected: 2, rejectedInARow: 0, lastRejection: 'NaN again', roundsContributed: 2, bytesContributed: 3000, bytesPerSec: 1300,
    });
    expect(registry.recordRejection('nobody', 'x')).toBe(0);
  });

  it('kicks through the link the session lent, and tells listeners when a peer is gone', () => {
    const { registry, closed } = registryWith();
    const gone: string[] = [];
    registry.onRemoved((p) => gone.push(`${p.id}:${p.state}`));
    registry.kick('a', 'ERR_HEARTBEAT_TIMEOUT', 'silent');
    expect(closed).toEqual([['ERR_HEARTBEAT_TIMEOUT', 'silent']]);
    registry.remove('a');
    registry.remove('a');
    expect(gone).toEqual(['a:gone']);
    expect(registry.get('a')).toBeUndefined();
    registry.kick('a', 'ERR_TOKEN', 'unknown peers are ignored');
    expect(closed).toHaveLength(1);
  });

  it('takes a ready message’s backend and threads, and summarises peers for /api/status', () => {
    const { registry } = registryWith();
    registry.updateCapabilities('a', { backend: 'webgpu', threads: 4 });
    registry.updateCapabilities('a', {});
    const [s] = registry.summaries();
    expect(Object.keys(s!).sort()).toEqual([
      'backend', 'backendStepMs', 'bytesContributed', 'bytesPerSec', 'id', 'kind', 'lastRejection', 'lastSeen', 'rejected',
      'roundsContributed', 'state', 'threads', 'transport',
    ]);
    expect(s).toMatchObject({ id: 'a', backend: 'webgpu', threads: 4, state: 'connecting', transport: 'webrtc' });
  });

  it('reports the transport a peer was added with (the relay names itself)', () => {
    const registry = new PeerRegistry<string>();
    registry.add({ id: 'r', kind: 'browser', backend: 'wasm', transport: 'relay', link: { send() {}, close() {} } });
    expect(registry.summaries()[0]!.transport).toBe('relay');
  });

  it('hands out entries that do not compile when written', () => {
    const { registry } = registryWith();
    const p = registry.get('a')!;
    // @ts-expect-error the registry alone writes an entry
    p.state = 'ready';
    expect(p.state).toBe('ready'); // read-only is a compile-time guard, not a runtime freeze
  });
});
