// Values over time, one line per series, each with its interval as a shaded band when the points carry one.
import {
  Area,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { ChartFrame } from "./ChartFrame";
import { dayLabel, formatNumber, minuteLabel, seriesColour } from "./palette";

export interface TimePoint {
  /** Epoch seconds. */
  t: number;
  value: number | null;
  low?: number | null;
  high?: number | null;
}

export interface TimeSeries {
  id: string;
  name: string;
  points: TimePoint[];
  colour?: string;
}

type WideRow = { t: number } & Record<string, number | [number, number] | null>;

/** One row per distinct time, with `v<i>` the value of series i and `b<i>` its [low, high] band. */
export function widen(series: TimeSeries[]): WideRow[] {
  const rows = new Map<number, WideRow>();
  series.forEach((s, i) => {
    for (const p of s.points) {
      if (!Number.isFinite(p.t)) continue;
      const row = rows.get(p.t) ?? ({ t: p.t } as WideRow);
      row[`v${i}`] = typeof p.value === "number" && Number.isFinite(p.value) ? p.value : null;
      if (typeof p.low === "number" && typeof p.high === "number") row[`b${i}`] = [p.low, p.high];
      rows.set(p.t, row);
    }
  });
  return [...rows.values()].sort((a, b) => a.t - b.t);
}

interface LongRow {
  series: string;
  t: number;
  value: number | null;
  low: number | null;
  high: number | null;
}

export function TimeSeriesChart({
  title,
  description,
  testId,
  series,
  dataUrl,
  height = 240,
  domain,
  valueLabel = "Value",
  format = formatNumber,
  timeFormat,
  empty,
}: {
  title: string;
  description?: string;
  testId: string;
  series: TimeSeries[];
  dataUrl?: string;
  height?: number;
  /** The y range, e.g. [0, 1] for accuracies; the data's range when not given. */
  domain?: [number, number];
  valueLabel?: string;
  format?: (v: number) => string;
  /** Tick labels of the time axis; whole days when the data spans more than two days, minutes otherwise. */
  timeFormat?: (t: number) => string;
  empty?: string;
}) {
  const rows = widen(series);
  const long: LongRow[] = series.flatMap((s) =>
    s.points.map((p) => ({
      series: s.name,
      t: p.t,
      value: p.value ?? null,
      low: p.low ?? null,
      high: p.high ?? null,
    })),
  );
  const span = rows.length > 1 ? rows[rows.length - 1].t - rows[0].t : 0;
  const tick = timeFormat ?? (span > 2 * 86400 ? dayLabel : minuteLabel);
  const hasBand = long.some((r) => r.low !== null && r.high !== null);
  const columns = [
    ...(series.length > 1 ? [{ key: "series", header: "Series", value: (r: LongRow) => r.series }] : []),
    { key: "t", header: "Time (UTC)", value: (r: LongRow) => minuteLabel(r.t) },
    { key: "value", header: valueLabel, value: (r: LongRow) => r.value },
    ...(hasBand
      ? [
          { key: "low", header: "Low", value: (r: LongRow) => r.low },
          { key: "high", header: "High", value: (r: LongRow) => r.high },
        ]
      : []),
  ];
  return (
    <ChartFrame
      title={title}
      description={description}
      testId={testId}
      rows={long}
      columns={columns}
      dataUrl={dataUrl}
      empty={empty}
    >
      <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 600, height }}>
        <ComposedChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e6eb" />
          <XAxis
            dataKey="t"
            type="number"
            domain={["dataMin", "dataMax"]}
            tickFormatter={tick}
            minTickGap={24}
            fontSize={11}
          />
          <YAxis domain={domain ?? ["auto", "auto"]} tickFormatter={format} fontSize={11} width={48} />
          <Tooltip
            labelFormatter={(t) => minuteLabel(Number(t))}
            formatter={(v) => (Array.isArray(v) ? v.map((x) => format(Number(x))).join(" – ") : format(Number(v)))}
          />
          {series.length > 1 && <Legend />}
          {series.map((s, i) =>
            s.points.some((p) => typeof p.low === "number" && typeof p.high === "number") ? (
              <Area
                key={`b${i}`}
                dataKey={`b${i}`}
                name={`${s.name} interval`}
                stroke="none"
                fill={s.colour ?? seriesColour(i)}
                fillOpacity={0.15}
                connectNulls
                isAnimationActive={false}
                legendType="none"
              />
            ) : null,
          )}
          {series.map((s, i) => (
            <Line
              key={`v${i}`}
              dataKey={`v${i}`}
              name={s.name}
              stroke={s.colour ?? seriesColour(i)}
              strokeWidth={2}
              dot={rows.length < 40}
              connectNulls
              isAnimationActive={false}
            />
          ))}
        </ComposedChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
