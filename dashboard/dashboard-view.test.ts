// The dashboard's warning while checkpoint writes fail.
import { describe, expect, it } from 'vitest';
import { describeCheckpointWrites } from './dashboard-view.ts';

describe('describeCheckpointWrites', () => {
  it('warns while writes fail, with the error and the next try; says nothing once one lands or before any failed', () => {
    const failing = { failuresInARow: 3, lastError: 'ENOSPC: no space left on device', lastErrorAt: '2026-12-02T10:00:00.000Z', nextRetryAt: '2026-12-02T10:00:08.000Z', lastWrittenAt: null };
    expect(describeCheckpointWrites(failing)).toBe(
      'Checkpoints are not being written (3 failed in a row): ENOSPC: no space left on device; next try at 10:00:08 UTC. Training goes on.',
    );
    expect(describeCheckpointWrites({ ...failing, failuresInARow: 0, nextRetryAt: null, lastWrittenAt: '2026-12-02T10:00:09.000Z' })).toBe('');
    expect(describeCheckpointWrites({ ...failing, failuresInARow: 0, lastError: null, nextRetryAt: null })).toBe('');
    expect(describeCheckpointWrites(undefined)).toBe('');
    // Not writable at start, nothing tried yet: still a warning.
    expect(describeCheckpointWrites({ ...failing, failuresInARow: 0, nextRetryAt: null })).toMatch(/^Checkpoints are not being written: ENOSPC/);
  });
});
