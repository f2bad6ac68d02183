// Accuracy over time as a small line plot (inline SVG); y from 0 to 1, x by time.

export interface TrendPoint {
  /** Epoch seconds (as the scorecards API sends) or an ISO 8601 string. */
  t: number | string;
  accuracy: number;
}

function millis(t: number | string): number {
  return typeof t === "number" ? t * 1000 : Date.parse(t);
}

export function TrendPlot({
  points,
  width = 120,
  height = 32,
  label = "Accuracy over time",
}: {
  points: TrendPoint[];
  width?: number;
  height?: number;
  label?: string;
}) {
  const valid = points
    .map((p) => ({ t: millis(p.t), a: p.accuracy }))
    .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.a))
    .sort((a, b) => a.t - b.t);
  if (valid.length === 0) return <span className="muted">—</span>;
  const pad = 3;
  const t0 = valid[0].t;
  const t1 = valid[valid.length - 1].t;
  const span = t1 - t0 || 1;
  const x = (t: number) => (valid.length === 1 ? width / 2 : pad + ((t - t0) / span) * (width - 2 * pad));
  const y = (a: number) => pad + (1 - Math.min(1, Math.max(0, a))) * (height - 2 * pad);
  const path = valid.map((p, i) => `${i ? "L" : "M"}${x(p.t).toFixed(1)},${y(p.a).toFixed(1)}`).join(" ");
  const last = valid[valid.length - 1];
  const summary = `${label}: ${valid.length} points, latest ${(last.a * 100).toFixed(0)}%`;
  return (
    <svg width={width} height={height} className="trend" role="img" aria-label={summary} data-testid="trend-plot">
      <title>{summary}</title>
      <rect x={0} y={0} width={width} height={height} className="trend-bg" />
      <line x1={pad} x2={width - pad} y1={y(0.5)} y2={y(0.5)} className="trend-grid" />
      <path d={path} className="trend-line" />
      {valid.map((p, i) => (
        <circle key={i} cx={x(p.t)} cy={y(p.a)} r={1.8} className="trend-point" />
      ))}
    </svg>
  );
}
