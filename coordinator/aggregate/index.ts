// Aggregation rules: pick one by name (`--aggregator`), screen contributions before using it.
import type { Aggregator, AggregatorName } from './aggregator.ts';
import { ClippedMeanAggregator, type ClippedMeanOptions } from './clipped-mean.ts';
import { MeanAggregator } from './mean.ts';
import { MedianAggregator } from './median.ts';
import { TrimmedMeanAggregator, type TrimmedMeanOptions } from './trimmed-mean.ts';

export {
  AGGREGATOR_NAMES, isAggregatorName, l2Norm, type Accumulator, type Aggregator, type AggregatorName, type Contribution,
} from './aggregator.ts';
export { screenContributions, screenOne, type NormBounds, type RejectionReason, type ScreenOptions, type ScreenResult } from './screen.ts';
export { NormHistory, type NormHistoryOptions } from './norm-history.ts';
export { ClippedMeanAggregator, MeanAggregator, MedianAggregator, TrimmedMeanAggregator, type ClippedMeanOptions, type TrimmedMeanOptions };

export type AggregatorOptions = TrimmedMeanOptions & ClippedMeanOptions;

export function createAggregator(name: AggregatorName, opts: AggregatorOptions = {}): Aggregator {
  switch (name) {
    case 'mean':
      return new MeanAggregator();
    case 'trimmed-mean':
      return new TrimmedMeanAggregator(opts);
    case 'median':
      return new MedianAggregator(opts.maxVectors);
    case 'clipped-mean':
      return new ClippedMeanAggregator(opts);
    default: {
      const _: never = name;
      throw new Error(`unknown aggregator "${String(_)}" (known: mean, trimmed-mean, median, clipped-mean)`);
    }
  }
}
