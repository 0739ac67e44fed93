import { describe, expect, it } from 'vitest';
import { createMetrics, reasonCode } from './metrics.ts';

const detail = {
  rejected: [{ reason: 'non-finite' }, { reason: 'undecodable gradient: bad tag 9' }, { reason: 'non-finite' }],
  waitMs: 1500,
  aggregateMs: 40,
  broadcastMs: 7,
  wireBytesIn: 1000,
  wireBytesOut: 4000,
};

describe('coordinator metrics', () => {
  it('renders the round facts in Prometheus text format', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.observeRound({ round: 0, version: 1, loss: 4.2, bytes: 900 }, detail);
    m.observeRound({ round: 1, version: 2, loss: 3.9, bytes: 800 }, { ...detail, rejected: [] });
    m.observeRound({ round: 2, version: 2, loss: Number.NaN, bytes: 0 }); // empty round: no loss
    m.validationBpb.set(5.5);
    m.setPeers({ node: 2, browser: 1 });
    m.setPeers({ node: 1 });
    const text = await m.registry.metrics();
    expect(m.registry.contentType).toMatch(/^text\/plain/);
    expect(text).toMatch(/^stlm_rounds_total 3$/m);
    expect(text).toMatch(/^stlm_round 2$/m);
    expect(text).toMatch(/^stlm_model_version 2$/m);
    expect(text).toMatch(/^stlm_bytes_trained_total 1700$/m);
    expect(text).toMatch(/^stlm_train_loss 3.9$/m);
    expect(text).toMatch(/^stlm_validation_bits_per_byte 5.5$/m);
    expect(text).toMatch(/^stlm_wire_bytes_total\{direction="in"\} 2000$/m);
    expect(text).toMatch(/^stlm_wire_bytes_total\{direction="out"\} 8000$/m);
    expect(text).toMatch(/^stlm_rejected_results_total\{reason="non-finite"\} 2$/m);
    expect(text).toMatch(/^stlm_rejected_results_total\{reason="undecodable-gradient"\} 1$/m);
    expect(text).toMatch(/^stlm_peers_connected\{kind="node"\} 1$/m);
    expect(text).not.toMatch(/kind="browser"/);
    expect(text).toMatch(/^stlm_round_phase_seconds_count\{phase="wait"\} 2$/m);
    expect(text).toMatch(/^stlm_round_phase_seconds_bucket\{le="2.5",phase="wait"\} 2$/m);
    expect(text).toMatch(/^stlm_round_phase_seconds_bucket\{le="1",phase="wait"\} 0$/m);
  });

  it('keeps registries of two coordinators apart and includes process metrics by default', async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.roundsTotal.inc(5);
    expect(await b.registry.metrics()).toMatch(/^stlm_rounds_total 0$/m);
    expect(await a.registry.metrics()).toMatch(/^stlm_process_process_cpu_seconds_total/m);
  });

  it('bounds reason labels', () => {
    expect(reasonCode('Norm-Outlier')).toBe('norm-outlier');
    expect(reasonCode('stale: round 3')).toBe('stale');
    expect(reasonCode('')).toBe('unknown');
  });
});
