// A distribution as a histogram (e.g. the queue's priority scores), from the values or from bins the API made.
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ChartFrame } from "./ChartFrame";
import { formatNumber, histogram } from "./palette";

export interface Bin {
  start: number;
  end: number;
  count: number;
}

export function HistogramChart({
  title,
  description,
  testId,
  values,
  bins,
  binCount = 20,
  dataUrl,
  height = 220,
  valueLabel = "Value",
  empty,
}: {
  title: string;
  description?: string;
  testId: string;
  /** Raw values, binned here; or `bins` already made. */
  values?: number[];
  bins?: Bin[];
  binCount?: number;
  dataUrl?: string;
  height?: number;
  valueLabel?: string;
  empty?: string;
}) {
  const rows = (bins ?? histogram(values ?? [], binCount)).map((b) => ({
    ...b,
    label: `${formatNumber(b.start)}–${formatNumber(b.end)}`,
  }));
  const total = rows.reduce((n, r) => n + r.count, 0);
  const columns = [
    { key: "start", header: `${valueLabel} from`, value: (r: Bin) => r.start },
    { key: "end", header: "to", value: (r: Bin) => r.end },
    { key: "count", header: "Count", value: (r: Bin) => r.count },
  ];
  return (
    <ChartFrame
      title={title}
      description={description}
      testId={testId}
      rows={total > 0 ? rows : []}
      columns={columns}
      dataUrl={dataUrl}
      empty={empty}
    >
      <ResponsiveContainer width="100%" height={height} initialDimension={{ width: 600, height }}>
        <BarChart data={rows} barCategoryGap={1} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e2e6eb" />
          <XAxis dataKey="label" fontSize={11} minTickGap={12} />
          <YAxis fontSize={11} width={48} allowDecimals={false} />
          <Tooltip />
          <Bar dataKey="count" name="Count" fill="#1f5fbf" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </ChartFrame>
  );
}
