// An estimate drawn as a point with its 95% interval as a bar (small inline SVG). Proportions by default;
// pass `domain` and `format` for other scales (alpha runs from -1 to 1).

export function formatPct(value: number | null | undefined, digits = 0): string {
  return value === null || value === undefined || Number.isNaN(value) ? "—" : `${(value * 100).toFixed(digits)}%`;
}

export function formatCoefficient(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? "—" : value.toFixed(2);
}

export function IntervalBar({
  value,
  low,
  high,
  width = 110,
  height = 16,
  label,
  domain = [0, 1],
  format = (v: number) => formatPct(v),
}: {
  value: number | null | undefined;
  low?: number | null;
  high?: number | null;
  width?: number;
  height?: number;
  label?: string;
  domain?: [number, number];
  format?: (value: number) => string;
}) {
  const pad = 4;
  const [d0, d1] = domain;
  const x = (v: number) => pad + ((Math.min(d1, Math.max(d0, v)) - d0) / (d1 - d0)) * (width - 2 * pad);
  const mid = height / 2;
  const hasValue = value !== null && value !== undefined && !Number.isNaN(value);
  // An interval without an estimate (nothing scored yet: 0 to 100%) says nothing: it is not drawn.
  const hasInterval = hasValue && typeof low === "number" && typeof high === "number";
  const text = hasValue
    ? `${format(value)}${hasInterval ? ` (95% interval ${format(low)} to ${format(high)})` : ""}`
    : "no data";
  return (
    <span className="interval" data-testid="interval">
      <svg width={width} height={height} role="img" aria-label={label ? `${label}: ${text}` : text}>
        <title>{text}</title>
        <line x1={x(d0)} x2={x(d1)} y1={mid} y2={mid} className="interval-axis" />
        <line x1={x((d0 + d1) / 2)} x2={x((d0 + d1) / 2)} y1={mid - 3} y2={mid + 3} className="interval-axis" />
        {hasInterval && (
          <>
            <line x1={x(low)} x2={x(high)} y1={mid} y2={mid} className="interval-bar" />
            <line x1={x(low)} x2={x(low)} y1={mid - 4} y2={mid + 4} className="interval-bar" />
            <line x1={x(high)} x2={x(high)} y1={mid - 4} y2={mid + 4} className="interval-bar" />
          </>
        )}
        {hasValue && <circle cx={x(value)} cy={mid} r={3.5} className="interval-point" />}
      </svg>
      <span className="interval-text">{hasValue ? format(value) : "—"}</span>
    </span>
  );
}
