// Types of the REST API v1 as the Django back end serves it (docs/api.md; the serializers and selectors are the
// source of truth: annotation_qc/*/apis.py and selectors.py).

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

/** One rule's linter settings: `enabled`, `severity` and the rule's thresholds. */
export type LintRuleSettings = Record<string, boolean | number | string>;
/** Per-rule overrides as stored on the project (`{"oversized_box": {"area_fraction": 0.9}}`). */
export type LintConfig = Record<string, Partial<LintRuleSettings>>;

/** Project settings, shown to managers and ML engineers (annotation_qc/projects/services.py SETTING_FIELDS). */
export interface ProjectSettings {
  overlap: number;
  overlap_fraction: number;
  lease_seconds: number;
  max_boxes: number;
  benchmark_rate: number;
  calibration_benchmarks: number;
  calibration_window: number;
  benchmark_min_iou: number;
  flag_threshold: number;
  flag_action: "alert" | "stop";
  show_own_score: boolean;
  max_overlap: number;
  consensus_target: number;
  lint_config: LintConfig;
  strategy: string;
  prioritize_every: number;
}

export interface Project {
  id: number;
  name: string;
  kind: ProjectKind;
  labels: string[];
  role: Role | null;
  /** Only for managers and ML engineers. */
  settings?: ProjectSettings;
}

export interface Member {
  user_id: number;
  username: string;
  role: Role;
}

export interface MyProgress {
  submitted: number;
  skipped: number;
}

/** Project-wide counts: managers and ML engineers only. */
export interface ProjectCounts {
  items: number;
  gold_items: number;
  required_annotations: number;
  submitted_annotations: number;
  remaining: number;
  open_slots: number;
}

/** Annotators get only `mine`; the other roles get the project-wide counts as well. */
export type Progress = { mine: MyProgress } & Partial<ProjectCounts>;

export function hasProjectCounts(p: Progress): p is { mine: MyProgress } & ProjectCounts {
  return typeof p.required_annotations === "number" && typeof p.submitted_annotations === "number";
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
  status: string;
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
  status: string;
}

/** `correct` of `n` benchmarks fixed, with a 95% Wilson interval; `accuracy` is null when `n` is 0. */
export interface Accuracy {
  n: number;
  correct: number;
  accuracy: number | null;
  low: number;
  high: number;
}

/** One point of an annotator's accuracy over time: the window of benchmarks scored up to `t`. */
export interface TrendPoint {
  /** Epoch seconds. */
  t: number;
  n: number;
  correct: number;
  accuracy: number;
  low: number;
  high: number;
}

export type ScorecardStatus = "calibrating" | "ok" | "flagged";

export interface Scorecard {
  user_id: number;
  username: string;
  status: ScorecardStatus;
  tasks_done: number;
  /** Median server-measured seconds per task. */
  median_seconds: number | null;
  /** Median seconds the client reported. */
  median_client_seconds: number | null;
  benchmarks: Accuracy;
  /** Every error kind of the project's kind, `n` 0 where none was scored. */
  by_error_kind: Record<string, Accuracy>;
  by_label: Record<string, Accuracy>;
  lint_finding_rate: number | null;
  agreement: number | null;
  trend: TrendPoint[];
  /** Why benchmarks are not running (no gold, switched off), else null; the same on every row. */
  note: string | null;
}

export interface BenchmarkRecord {
  task_id: number;
  error_kind: string;
  error_label: string | null;
  fixed: boolean;
  submitted_at: string;
  item: Item;
  gold: Payload;
  /** The pre-annotation served (null for an unassisted benchmark). */
  seeded: Payload | null;
  submitted: Payload;
  detail: Record<string, unknown>;
}

export interface FindingRecord {
  id: number;
  annotation_id: number;
  task_id: number;
  item_id: number;
  annotator_id: number;
  /** The annotator's username. */
  annotator: string;
  code: string;
  severity: Severity;
  message: string;
  boxes: number[];
  created_at: string;
}

/** Findings per submitted annotation, per annotator (`GET /findings/rates/`). */
export interface FindingRate {
  user_id: number;
  annotations: number;
  findings: number;
  lint_finding_rate: number | null;
  by_code: Record<string, number>;
}

export interface Page<T> {
  count: number;
  next: string | null;
  previous: string | null;
  results: T[];
}

/** A coefficient that may be undefined: `value` is null exactly when `reason` says why. */
export interface Coefficient {
  value: number | null;
  reason: string | null;
}

export interface BootstrapInterval {
  low: number | null;
  high: number | null;
  confidence: number;
  n_resamples: number;
  n_undefined: number;
  reason: string | null;
}

export interface LabelAgreement {
  label: string;
  n_values: number;
  alpha: Coefficient;
  interval: BootstrapInterval | null;
  specific_agreement: number | null;
  /** Bbox projects: F1 per IoU threshold of the report's `thresholds`. */
  f1: (number | null)[] | null;
}

export interface PairAgreement {
  annotator_a: number;
  annotator_b: number;
  n_shared_units: number;
  observed_agreement: number | null;
  kappa: Coefficient;
  alpha: Coefficient;
  precision: (number | null)[] | null;
  recall: (number | null)[] | null;
  f1: (number | null)[] | null;
  mean_iou: number | null;
}

export interface AnnotatorAgreement {
  /** The annotator's user id. */
  annotator: number;
  n_comparisons: number;
  observed_agreement: number | null;
  alpha_with_peers: Coefficient;
}

export interface Conflict {
  item: number;
  kind: string;
  annotator: number;
  peer: number;
  box: number[] | null;
  label: string | null;
  peer_box: number[] | null;
  peer_label: string | null;
  iou: number | null;
}

/** The domain's AgreementReport.to_dict() (annotation_qc/domain/agreement/report_types.py). */
export interface AgreementReport {
  kind: ProjectKind;
  labels: string[];
  n_items: number;
  n_ignored_items: number;
  n_units: number;
  alpha: Coefficient;
  interval: BootstrapInterval | null;
  per_label: LabelAgreement[];
  pairwise: PairAgreement[];
  annotators: AnnotatorAgreement[];
  max_item_score: number;
  low_agreement_items: { item: number; score: number | null; n_annotations: number; conflicts: Conflict[] }[];
  conflict_counts: Record<string, number>;
  thresholds: number[] | null;
  f1: (number | null)[] | null;
  mean_iou: number | null;
}

export interface AgreementTrendPoint {
  computed_at: string;
  alpha: number | null;
  alpha_low: number | null;
  alpha_high: number | null;
  n_items: number;
}

/** `GET /agreement/`: the latest report (null before the first one) and the series of past alphas. */
export interface AgreementOverview {
  computed_at: string | null;
  report: AgreementReport | null;
  trend: AgreementTrendPoint[];
  note: string | null;
}

/** One annotator's answer on a low-agreement item. */
export interface ReviewAnswer {
  annotation_id: number;
  annotator_id: number;
  /** The annotator's username. */
  annotator: string;
  payload: Payload;
}

export interface ReviewItem {
  item: Item & { external_id: string };
  score: number;
  n_annotations: number;
  conflicts: Conflict[];
  annotations: ReviewAnswer[];
  /** Settled by a manager already. */
  resolved: boolean;
}

export interface ResolveResult {
  item_id: number;
  payload: Payload;
  method: string;
  gold: boolean;
}

/** Either pick one annotator's answer or send an edited payload. */
export type Resolution = { annotation_id: number } | { payload: Payload };

export interface Alert {
  id: number;
  rule_id: number | null;
  kind: string;
  /** Same as kind. */
  code: string;
  severity: "warning" | "critical";
  /** "project" or "annotator:<id>". */
  subject: string;
  message: string;
  data: Record<string, unknown>;
  status: "open" | "resolved";
  created_at: string;
  fired_at: string;
  resolved_at: string | null;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
}

export interface QueueEntry {
  item_id: number;
  external_id: string;
  score: number;
  open_slots: number;
}

/** `GET /queue/`: the prioritised label queue, best first. */
export interface QueuePage {
  strategy: string;
  requested_strategy: string | null;
  model_version: string | null;
  computed_at: string | null;
  note: string | null;
  results: QueueEntry[];
  next_cursor: string | null;
}

/** A background job (`GET /jobs/{id}/`). */
export interface Job {
  id: number;
  kind: string;
  status: "pending" | "running" | "succeeded" | "failed";
  progress: number;
  message: string;
  result: unknown;
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
