// The data-health endpoints the dashboard draws (docs/api.md, "Data health").
import { apiRequest } from "./http";

export interface DriftBatch {
  batch: number;
  created_at: string;
  items: number;
  quarantined: number;
  status: string | null;
  drifted: boolean;
  drifted_statistics: string[];
  max_effect: number | null;
  min_p_adjusted: number | null;
  effects: Record<string, number>;
}

export interface CoverageRow {
  value: string;
  counts: Record<string, number>;
  shares: Record<string, number>;
  target: number | null;
  shortfall: number;
  under_represented: boolean;
}

export interface Coverage {
  export_id: number | null;
  labels: CoverageRow[];
  attributes: Record<string, CoverageRow[]>;
  boxes_per_image: { histogram: Record<string, number>; mean: number | null; images: number } | null;
  box_sizes: { histogram: { from: number; to: number; count: number }[]; quartiles: number[] | null; boxes: number } | null;
  boost: number;
}

async function must<T>(promise: Promise<T | null>): Promise<T> {
  const value = await promise;
  if (value === null) throw new Error("Empty response from the server.");
  return value;
}

export const dataHealthPath = (projectId: number, rest: string) => `/projects/${projectId}/data-health/${rest}`;

export const dataHealth = {
  drift(projectId: number): Promise<{ batches: DriftBatch[] }> {
    return must(apiRequest<{ batches: DriftBatch[] }>("GET", dataHealthPath(projectId, "drift/")));
  },
  coverage(projectId: number): Promise<Coverage> {
    return must(apiRequest<Coverage>("GET", dataHealthPath(projectId, "coverage/")));
  },
};
