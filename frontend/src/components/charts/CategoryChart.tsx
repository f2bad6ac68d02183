// Counts per category as bars, one bar per series (stacked when asked), e.g. findings by rule or benchmark
// outcomes per error kind.
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFrame } from "./ChartFrame";
import { formatNumber, seriesColour } from "./palette";

export interface CategoryRow {
  category: string;
  [series: string]: string | number | null;
}

export interface BarSeries {
  key: string;
  name: string;
  colour?: string;
}

export function CategoryChart({
  title,
  description,
  testId,
  rows,
  bars,
  stacked = false,
  horizontal = false,
  dataUrl,
  height = 240,
  categoryLabel = "Category",
  empty,
}: {
  title: string;
  description?: string;
  testId: string;
  rows: CategoryRow[];
  bars: BarSeries[];
  stacked?: boolean;
  /** Categories down the side: better for long names such as rule codes. */
  horizontal?: boolean;
  dataUrl?: string;
  height?: number;
  categoryLabel?: string;
  empty?: string;
}) {
  const columns = [
    { key: "category", header: categoryLabel, value: (r: CategoryRow) => r.category },
    ...bars.map((b) => ({ key: b.key, header: b.name, value: (r: CategoryRow) => r[b.key] })),
  ];
  const chartHeight = horizontal ? Math.max(height, rows.length * 28 + 40) : height;
  return (
    <ChartFrame
      title={title}
      description={description}
      testId={testId}
      rows={rows}
      columns={columns}
      dataUrl={dataUrl}
      empty={empty}
    >
      <ResponsiveContainer width="100%" height={chartHeight} initialDimension={{ width: 600, height: chartHeight }}>
        <BarChart
          data={rows}
          layout={horizontal ? "vertical" : "horizontal"}
          margin={{ top: 8, right: 16, bottom: 4, left: horizontal ? 8 : 0 }}
        >
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e6eb" />
          {horizontal ? (
            <>
              <XAxis type="number" fontSize={11} allowDecimals={false} />
              <YAxis type="category" dataKey="category" fontSize={11} width={140} />
            </>
          ) : (
            <>
              <XAxis dataKey="category" fontSize={11} />
              <YAxis fontSize={11} width={48} />
            </>
          )}
          <Tooltip formatter={(v) => formatNumber(Number(v))} />
          {bars.length > 1 && <Legend />}
          {bars.map((b, i) => (
            <Bar
              key={b.key}
              dataKey={b.key}
              name={b.name}
              fill={b.colour ?? seriesColour(i)}
              stackId={stacked ? "stack" : undefined}
              isAnimationActive={false}
            />
          ))}
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
