// A proportion in [0, 1] drawn as a point with its 95% interval as a bar (small inline SVG).

export function formatPct(value: number | null | undefined, digits = 0): string {
  return value === null || value === undefined || Number.isNaN(value) ? "—" : `${(value * 100).toFixed(digits)}%`;
}

export function IntervalBar({
  value,
  low,
  high,
  width = 110,
  height = 16,
  label,
}: {
  value: number | null | undefined;
  low?: number | null;
  high?: number | null;
  width?: number;
  height?: number;
  label?: string;
}) {
  const pad = 4;
  const x = (v: number) => pad + Math.min(1, Math.max(0, v)) * (width - 2 * pad);
  const mid = height / 2;
  const hasValue = value !== null && value !== undefined && !Number.isNaN(value);
  const hasInterval = low !== null && low !== undefined && high !== null && high !== undefined;
  const text = hasValue
    ? `${formatPct(value)}${hasInterval ? ` (95% interval ${formatPct(low)}–${formatPct(high)})` : ""}`
    : "no data";
  return (
    <span className="interval" data-testid="interval">
      <svg width={width} height={height} role="img" aria-label={label ? `${label}: ${text}` : text}>
        <title>{text}</title>
        <line x1={x(0)} x2={x(1)} y1={mid} y2={mid} className="interval-axis" />
        <line x1={x(0.5)} x2={x(0.5)} y1={mid - 3} y2={mid + 3} className="interval-axis" />
        {hasInterval && <line x1={x(low)} x2={x(high)} y1={mid} y2={mid} className="interval-bar" />}
        {hasInterval && (
          <>
            <line x1={x(low)} x2={x(low)} y1={mid - 4} y2={mid + 4} className="interval-bar" />
            <line x1={x(high)} x2={x(high)} y1={mid - 4} y2={mid + 4} className="interval-bar" />
          </>
        )}
        {hasValue && <circle cx={x(value)} cy={mid} r={3.5} className="interval-point" />}
      </svg>
      <span className="interval-text">{hasValue ? formatPct(value) : "—"}</span>
    </span>
  );
}
