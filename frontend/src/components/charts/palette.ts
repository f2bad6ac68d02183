// Colours for chart series: distinct, and dark enough for 3:1 contrast on white (WCAG non-text contrast).
export const SERIES_COLOURS = [
  "#1f5fbf",
  "#c2410c",
  "#237a3b",
  "#7e22ce",
  "#b91c1c",
  "#0f766e",
  "#a16207",
  "#be185d",
  "#4d7c0f",
  "#475569",
];

export function seriesColour(index: number): string {
  return SERIES_COLOURS[((index % SERIES_COLOURS.length) + SERIES_COLOURS.length) % SERIES_COLOURS.length];
}

/** "2026-12-07" (UTC) for an epoch-seconds time, the default tick of the time axes. */
export function dayLabel(t: number): string {
  return new Date(t * 1000).toISOString().slice(0, 10);
}

/** "2026-12-07 09:30" (UTC) for an epoch-seconds time. */
export function minuteLabel(t: number): string {
  return new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ");
}

export function formatNumber(v: unknown): string {
  if (typeof v !== "number" || !Number.isFinite(v)) return "—";
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 10 ? v.toFixed(3) : v.toFixed(1);
}

/** Equal-width bins over [lo, hi] (from the values when not given); `NaN`s and infinities are left out. */
export function histogram(
  values: number[],
  bins = 20,
  range?: [number, number],
): { start: number; end: number; count: number }[] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return [];
  let lo = range ? range[0] : Math.min(...finite);
  let hi = range ? range[1] : Math.max(...finite);
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of finite) {
    if (v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / width))] += 1;
  }
  return counts.map((count, i) => ({ start: lo + i * width, end: lo + (i + 1) * width, count }));
}
