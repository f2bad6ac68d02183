// A value over time as a small line plot (inline SVG), with its interval as a shaded band when known.

export interface PlotPoint {
  /** Epoch seconds. */
  t: number;
  value: number | null;
  low?: number | null;
  high?: number | null;
}

const percent = (v: number) => `${(v * 100).toFixed(0)}%`;

export function TrendPlot({
  points,
  width = 120,
  height = 32,
  label = "Accuracy over time",
  domain = [0, 1],
  format = percent,
}: {
  points: PlotPoint[];
  width?: number;
  height?: number;
  label?: string;
  /** The y range drawn: [0, 1] for accuracies, [-1, 1] for alpha. */
  domain?: [number, number];
  format?: (value: number) => string;
}) {
  const valid = points
    .filter((p): p is PlotPoint & { value: number } => Number.isFinite(p.t) && typeof p.value === "number")
    .sort((a, b) => a.t - b.t);
  if (valid.length === 0) return <span className="muted">—</span>;
  const pad = 3;
  const [y0, y1] = domain;
  const t0 = valid[0].t;
  const span = valid[valid.length - 1].t - t0 || 1;
  const x = (t: number) => (valid.length === 1 ? width / 2 : pad + ((t - t0) / span) * (width - 2 * pad));
  const y = (v: number) => pad + (1 - (Math.min(y1, Math.max(y0, v)) - y0) / (y1 - y0)) * (height - 2 * pad);
  const line = valid.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
  const banded = valid.filter(
    (p): p is PlotPoint & { value: number; low: number; high: number } =>
      typeof p.low === "number" && typeof p.high === "number",
  );
  const band =
    banded.length > 1
      ? [
          ...banded.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.high).toFixed(1)}`),
          ...[...banded].reverse().map((p) => `L${x(p.t).toFixed(1)},${y(p.low).toFixed(1)}`),
          "Z",
        ].join(" ")
      : null;
  const last = valid[valid.length - 1];
  const summary = `${label}: ${valid.length} point${valid.length === 1 ? "" : "s"}, latest ${format(last.value)}`;
  const mid = (y0 + y1) / 2;
  return (
    <svg width={width} height={height} className="trend" role="img" aria-label={summary} data-testid="trend-plot">
      <title>{summary}</title>
      <rect x={0} y={0} width={width} height={height} className="trend-bg" />
      {band && <path d={band} className="trend-band" />}
      <line x1={pad} x2={width - pad} y1={y(mid)} y2={y(mid)} className="trend-grid" />
      <path d={line} className="trend-line" />
      {valid.length <= 40 &&
        valid.map((p, i) => <circle key={i} cx={x(p.t)} cy={y(p.value)} r={1.8} className="trend-point" />)}
      <circle cx={x(last.t)} cy={y(last.value)} r={2.6} className="trend-point" />
    </svg>
  );
}
