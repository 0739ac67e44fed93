// A bad peer built on the project's own client (connectToCoordinator + runPeer): it trains on its batches like
// any peer, then hands the coordinator `poison(gradient)` instead of its gradient. For the bad-peer cluster tests.
import { io } from 'socket.io-client';
import SimplePeer from 'simple-peer';
import wrtc from '@roamhq/wrtc';
import { connectToCoordinator, type IoLike } from '../../peer/core/connect.ts';
import { runPeer, type PeerTrainer } from '../../peer/core/peer-trainer.ts';
import { stlmPeerModel } from '../../peer/core/stlm-peer-model.ts';
import { l2Norm } from '../../coordinator/aggregate/aggregator.ts';
import { Prng } from '../../model/prng.ts';

export interface PoisonPeer {
  id: string;
  trainer: PeerTrainer;
}

export async function startPoisonPeer(url: string, token: string, poison: (grads: Float32Array) => Float32Array): Promise<PoisonPeer> {
  const conn = await connectToCoordinator({
    url, token, peerKind: 'node', backend: 'wasm',
    io: io as unknown as IoLike, SimplePeer, wrtc: wrtc as unknown as SimplePeer.Options['wrtc'],
  });
  const trainer = runPeer({
    transport: conn.transport, welcome: conn.welcome, backendName: 'wasm',
    createModel: (config, seed) => {
      const model = stlmPeerModel(config, seed);
      return {
        ...model,
        trainStep: async (batch) => {
          const r = await model.trainStep(batch);
          return { ...r, grads: poison(r.grads) };
        },
      };
    },
    onClosed: () => conn.close(),
  });
  return { id: conn.welcome.peerId, trainer };
}

/** Gaussian noise with the same L2 norm as `like` (no norm check can tell it from an honest gradient). */
export function noiseOfNorm(like: Float32Array, seed: number): Float32Array {
  const out = new Prng(seed).fillNormal(new Float32Array(like.length), 1);
  const scale = l2Norm(like) / (l2Norm(out) || 1);
  for (let i = 0; i < out.length; i++) out[i]! *= scale;
  return out;
}
