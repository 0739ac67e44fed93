// What a checkpoint keeps of the settings: no join or admin token, no ICE servers (TURN credentials).
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../settings/settings.ts';
import { savedSettings } from './checkpointing.ts';

describe('savedSettings', () => {
  it('keeps what defines the run and drops every secret', () => {
    const settings = loadSettings({
      overrides: { runDir: '/tmp/x', token: 'join-secret', adminToken: 'admin-secret', iceServers: [{ urls: 'turn:relay:3478', username: 'u', credential: 'turn-secret' }] },
    });
    const json = JSON.stringify(savedSettings(settings));
    expect(json).not.toMatch(/join-secret|admin-secret|turn-secret|turn:relay/);
    expect(JSON.parse(json)).toMatchObject({ preset: settings.preset, seed: settings.seed, localSteps: settings.localSteps });
  });
});
