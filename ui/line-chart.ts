// A small uPlot line chart that follows its container's width (so it fits a phone) and can be fed the
// whole series again on every poll: uPlot redraws a few hundred points in well under a millisecond.
import uPlot from 'uplot';

export interface LineSeries {
  label: string;
  color: string;
  /** A dashed line (a reference rather than a measurement), e.g. [6, 4]. */
  dash?: number[];
}

/** Ticks for a round axis: whole numbers only (no 2.5 ticks). */
const ROUND_TICKS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 100000];

export class LineChart {
  private readonly plot: uPlot;
  private readonly resize: ResizeObserver;

  /** `xTicks`: the tick increments uPlot may choose from (default: whole rounds). */
  constructor(container: HTMLElement, xLabel: string, series: LineSeries[], height = 180, xTicks: number[] = ROUND_TICKS) {
    const width = Math.max(200, container.clientWidth);
    this.plot = new uPlot(
      {
        width,
        height,
        scales: { x: { time: false } },
        axes: [{ label: xLabel, incrs: xTicks }, {}],
        series: [{ label: xLabel }, ...series.map((s) => ({ label: s.label, stroke: s.color, width: s.dash ? 1.5 : 2, dash: s.dash, spanGaps: true }))],
        legend: { live: false },
      },
      [[], ...series.map(() => [])],
      container,
    );
    this.resize = new ResizeObserver(() => this.plot.setSize({ width: Math.max(200, container.clientWidth), height }));
    this.resize.observe(container);
  }

  /** Replaces the data: x values and one y array per series (null for a gap). */
  setData(x: number[], ys: Array<Array<number | null>>): void {
    this.plot.setData([x, ...ys] as uPlot.AlignedData);
  }

  destroy(): void {
    this.resize.disconnect();
    this.plot.destroy();
  }
}
