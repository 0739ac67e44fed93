// An StlmModel as a PeerModel that reads its results asynchronously (trainStepAsync): on a GPU backend the
// synchronous read is wrong or blocks (see model/stlm.ts), on wasm the two are the same.
import type { StlmConfig } from '../../model/config.ts';
import { StlmModel } from '../../model/stlm.ts';
import type { PeerModel } from './peer-trainer.ts';

export function stlmPeerModel(config: StlmConfig, seed: number): PeerModel {
  const model = StlmModel.create(config, seed);
  return {
    numParams: model.numParams,
    manifest: model.manifest,
    threads: 1,
    getWeights: () => model.getWeights(),
    setWeights: (w) => model.setWeights(w),
    trainStep: (batch) => model.trainStepAsync(batch),
    dispose: () => model.dispose(),
  };
}
