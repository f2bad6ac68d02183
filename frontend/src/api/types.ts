// Types of the REST API v1, written against docs/api.md.

export type Role = "annotator" | "manager" | "ml_engineer";
export type ProjectKind = "bbox" | "classification";
export type Severity = "warning" | "error";

export interface Membership {
  project_id: number;
  project_name: string;
  project_kind: ProjectKind;
  role: Role;
}

export interface Me {
  id: number;
  username: string;
  is_staff: boolean;
  memberships: Membership[];
}

/** Project settings as managers see them. Only the fields the UI edits are named; the rest pass through. */
export interface ProjectSettings {
  overlap?: number;
  overlap_fraction?: number;
  benchmark_rate?: number;
  lease_seconds?: number;
  max_boxes?: number;
  strategy?: string;
  flag_threshold?: number;
  /** Linter overrides: called `lint` in docs/api.md, `lint_config` in the current model. */
  lint?: Record<string, unknown>;
  lint_config?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Project {
  id: number;
  name: string;
  kind: ProjectKind;
  labels: string[];
  role: Role | null;
  settings?: ProjectSettings;
}

export interface Progress {
  items: number;
  gold_items: number;
  required_annotations: number;
  submitted_annotations: number;
  remaining: number;
  mine: { submitted: number; skipped: number };
}

export interface PayloadBox {
  x: number;
  y: number;
  w: number;
  h: number;
  label: string;
}

export interface BboxPayload {
  boxes: PayloadBox[];
}

export interface ClassificationPayload {
  label: string;
}

export type Payload = BboxPayload | ClassificationPayload;

export interface Item {
  id: number;
  image_url: string | null;
  width: number;
  height: number;
}

export interface Task {
  id: number;
  project_id: number;
  kind: ProjectKind;
  labels: string[];
  item: Item;
  pre_annotation: Payload | null;
  lease_expires_at: string;
  served_at: string;
}

export interface Finding {
  code: string;
  severity: Severity;
  message: string;
  /** 0-based indices into the payload's boxes. */
  boxes: number[];
}

export interface LintResult {
  findings: Finding[];
}

export interface SubmitResult {
  annotation_id: number;
  task_id: number;
  findings: Finding[];
}

export interface SkipResult {
  task_id: number;
  status: "skipped";
}

export interface Accuracy {
  n: number;
  correct: number;
  accuracy: number | null;
  low: number | null;
  high: number | null;
}

export type ScorecardStatus = "calibrating" | "ok" | "flagged";

export interface Scorecard {
  user_id: number;
  username: string;
  status: ScorecardStatus;
  tasks_done: number;
  median_seconds: number | null;
  benchmarks: Accuracy;
  by_error_kind: Record<string, Accuracy>;
  lint_finding_rate: number | null;
  agreement: number | null;
  trend: { t: number | string; accuracy: number; low?: number; high?: number; n?: number }[];
}

export interface BenchmarkRecord {
  task_id: number;
  error_kind: string;
  fixed: boolean;
  submitted_at: string;
  item: Item;
  gold: Payload;
  seeded: Payload;
  submitted: Payload;
  detail: Record<string, unknown>;
}

export interface FindingRecord {
  id: number;
  annotation_id: number;
  task_id: number;
  item_id: number;
  annotator: string | number;
  code: string;
  severity: Severity;
  message: string;
  boxes: number[];
  created_at: string;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** An estimate with an optional 95% interval; `value` null means undefined (see `reason`). */
export interface IntervalEstimate {
  value: number | null;
  low?: number | null;
  high?: number | null;
  reason?: string | null;
}

export interface AgreementReport {
  computed_at: string | null;
  alpha: IntervalEstimate;
  /** Per label; the exact shape is not fixed by the contract: a number or an estimate per label. */
  per_label: Record<string, unknown>;
  pairwise: Record<string, unknown>;
  annotators: Record<string, unknown>;
  trend: unknown[];
}

/** One answer on a low-agreement item. The contract leaves the shape open; these are the fields the UI reads. */
export interface ReviewAnswer {
  annotation_id?: number;
  user_id?: number;
  annotator?: string | number;
  username?: string;
  payload: Payload;
}

export interface ReviewItem {
  item_id: number;
  item?: Item;
  alpha?: number | null;
  annotations: ReviewAnswer[];
  [key: string]: unknown;
}

/** Alerts: the contract leaves the shape open; these are the fields the UI reads when present. */
export interface Alert {
  id?: number | string;
  kind?: string;
  code?: string;
  severity?: string;
  message?: string;
  created_at?: string;
  [key: string]: unknown;
}

export interface ErrorBody {
  detail?: string;
  errors?: Record<string, string[]>;
  findings?: Finding[];
}

export function isBboxPayload(p: Payload | null | undefined): p is BboxPayload {
  return !!p && Array.isArray((p as BboxPayload).boxes);
}

export function isClassificationPayload(p: Payload | null | undefined): p is ClassificationPayload {
  return !!p && typeof (p as ClassificationPayload).label === "string";
}
