// Charts drawn with Recharts (MIT). Every chart sits in a ChartFrame: a titled figure with its figures as a
// table and, when the API serves them, links to the data as JSON and CSV.
export { ChartFrame, type ChartColumn } from "./ChartFrame";
export { TimeSeriesChart, widen, type TimePoint, type TimeSeries } from "./TimeSeriesChart";
export { CategoryChart, type BarSeries, type CategoryRow } from "./CategoryChart";
export { HistogramChart, type Bin } from "./HistogramChart";
export { SERIES_COLOURS, seriesColour, histogram, dayLabel, minuteLabel, formatNumber } from "./palette";
export { AttributeCoverageCharts, attributeCharts, type AttributeRow, type AttributeChart } from "./AttributeCoverage";
