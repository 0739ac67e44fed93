import { describe, expect, it } from 'vitest';
import type { Message } from '../../protocol/messages.ts';
import { PeerRegistry } from './registry.ts';
import { rejectResult } from './rejection-policy.ts';

function setup(send: (m: Message) => void = () => {}) {
  const registry = new PeerRegistry<Message>();
  const sent: Message[] = [];
  const kicks: string[] = [];
  registry.add({
    id: 'a', kind: 'node', backend: 'wasm',
    link: { send: (m) => (send(m), sent.push(m)), close: (code, reason) => kicks.push(`${code}: ${reason}`) },
  });
  return { registry, sent, kicks };
}

const nan = (n: number) => ({ peerId: 'a', reason: `NON_FINITE ${n}`, notice: `round ${n}: NON_FINITE ${n}` });

describe('rejectResult', () => {
  it('tells the peer below the limit and kicks it at the limit', () => {
    const { registry, sent, kicks } = setup();
    expect(rejectResult(registry, 3, nan(1))).toBe('told');
    expect(rejectResult(registry, 3, nan(2))).toBe('told');
    expect(sent).toEqual([
      { type: 'error', code: 'ERR_RESULT_REJECTED', message: 'round 1: NON_FINITE 1', fatal: false },
      { type: 'error', code: 'ERR_RESULT_REJECTED', message: 'round 2: NON_FINITE 2', fatal: false },
    ]);
    expect(kicks).toEqual([]);
    expect(rejectResult(registry, 3, nan(3))).toBe('kicked');
    expect(sent).toHaveLength(2);
    expect(kicks).toEqual(['ERR_RESULT_REJECTED: 3 results rejected in a row, last: NON_FINITE 3']);
    expect(registry.get('a')).toMatchObject({ rejected: 3, rejectedInARow: 3, lastRejection: 'NON_FINITE 3' });
  });

  it('counts only rejections in a row: an accepted result starts the count again', () => {
    const { registry, kicks } = setup();
    rejectResult(registry, 2, nan(1));
    registry.recordContribution('a', 10, 10);
    expect(rejectResult(registry, 2, nan(2))).toBe('told');
    expect(kicks).toEqual([]);
  });

  it('survives a peer whose channel cannot send, and a peer already gone', () => {
    const { registry } = setup(() => {
      throw new Error('the data channel is not open');
    });
    expect(rejectResult(registry, 3, nan(1))).toBe('told');
    registry.remove('a');
    expect(rejectResult(registry, 3, nan(2))).toBe('told');
  });
});
