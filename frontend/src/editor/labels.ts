// Stable, distinguishable colours per label (by position in the project's label list).
const PALETTE = ["#1f77b4", "#2ca02c", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f", "#3f51b5"];

export function labelColor(label: string, labels: string[]): string {
  const index = labels.indexOf(label);
  if (index < 0) return "#555555";
  return PALETTE[index % PALETTE.length];
}

export const SEVERITY_COLOR = { error: "#d62728", warning: "#ff7f0e" } as const;
