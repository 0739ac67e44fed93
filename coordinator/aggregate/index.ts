// Aggregation rules: pick one by name (`--aggregator`), screen contributions before using it.
import type { Aggregator, AggregatorName } from './aggregator.ts';
import { MeanAggregator } from './mean.ts';
import { MedianAggregator } from './median.ts';
import { TrimmedMeanAggregator, type TrimmedMeanOptions } from './trimmed-mean.ts';

export { AGGREGATOR_NAMES, isAggregatorName, type Aggregator, type AggregatorName, type Contribution } from './aggregator.ts';
export { screenContributions, type RejectionReason, type ScreenOptions, type ScreenResult } from './screen.ts';
export { MeanAggregator, MedianAggregator, TrimmedMeanAggregator, type TrimmedMeanOptions };

export type AggregatorOptions = TrimmedMeanOptions;

export function createAggregator(name: AggregatorName, opts: AggregatorOptions = {}): Aggregator {
  switch (name) {
    case 'mean':
      return new MeanAggregator();
    case 'trimmed-mean':
      return new TrimmedMeanAggregator(opts);
    case 'median':
      return new MedianAggregator();
    default: {
      const _: never = name;
      throw new Error(`unknown aggregator "${String(_)}" (known: mean, trimmed-mean, median)`);
    }
  }
}
