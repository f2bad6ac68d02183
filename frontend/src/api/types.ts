// Types of the REST API v1 as the Django back end serves it (docs/api.md; the serializers and selectors are the
// source of truth: annotation_qc/*/apis.py and selectors.py).

export type Role = "annotator" | "manager" | "ml_engineer" | "reviewer";
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
  /** The user's own settings; `hotkeys` maps a project id to `{label: key}` remaps. */
  preferences?: { hotkeys?: Record<string, Record<string, string>> };
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
  /** Seconds after submitting during which annotators may change their answer (0: never). */
  edit_window_seconds?: number;
  /** Gold items kept in service by promoting confirmed items (0: off). */
  gold_pool_target?: number;
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
  /** Every label with its colour, hotkey (the project's, else a default) and whether it is retired. */
  label_details?: LabelDetail[];
  label_config?: Record<string, LabelConfigEntry>;
  /** Markdown for annotators (rendered with raw HTML off). */
  instructions?: string;
  role: Role | null;
  /** Only for managers and ML engineers. */
  settings?: ProjectSettings;
}

export interface LabelDetail {
  name: string;
  colour: string;
  hotkey: string | null;
  retired: boolean;
}

export interface LabelConfigEntry {
  colour?: string | null;
  hotkey?: string | null;
  retired?: boolean;
}

export interface MemberCandidate {
  user_id: number;
  username: string;
  is_member: boolean;
}

/** One of the annotator's recent answers (`GET /projects/{id}/my-answers/`): alike for every task. */
export interface MyAnswer {
  task_id: Task["id"];
  kind: ProjectKind;
  labels: string[];
  item: TaskItem;
  payload: Payload;
  submitted_at: string;
  editable_until: string | null;
  editable: boolean;
}

/** One answer as managers look at it (`GET /projects/{id}/annotations/{annotation_id}/`). */
export interface AnnotationView {
  annotation_id: number;
  task_id: number;
  annotator_id: number;
  annotator: string;
  submitted_at: string;
  item: Item;
  payload: Payload;
  findings: Finding[];
}

export interface Draft {
  payload: Payload;
  elapsed_ms: number;
  updated_at: string;
}

export interface OwnScore {
  n: number;
  correct: number;
  accuracy: number | null;
  low: number;
  high: number;
}

export interface ChartData<Row = Record<string, string | number | null>> {
  chart: string;
  columns: string[];
  rows: Row[];
}

export interface PrioritizeStarted {
  job_id: number;
  run_id: number;
  strategy: string;
  status: string;
}

export interface NewProject {
  name: string;
  kind: ProjectKind;
  labels: string[];
  label_config?: Record<string, LabelConfigEntry>;
  instructions?: string;
  settings?: Partial<ProjectSettings>;
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

/** The item of an annotator's task: an opaque id and an image URL with an opaque token. */
export interface TaskItem {
  id: string;
  image_url: string | null;
  width: number;
  height: number;
}

export interface Task {
  /** Opaque public id (random; no order, time or count). */
  id: string;
  project_id: number;
  kind: ProjectKind;
  labels: string[];
  item: TaskItem;
  pre_annotation: Payload | null;
  /** The announced qualification set (the annotator's first tasks, all checked), then work. */
  phase?: "qualification" | "work";
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
  task_id: string;
  findings: Finding[];
}

export interface SkipResult {
  task_id: string;
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
  /** Skipped benchmarks (counted as misses in `benchmarks`). */
  benchmarks_skipped?: number;
  /** Skips on benchmarks against skips on work, with the one-sided Fisher exact test. */
  skipping?: SkipSignal | null;
  /** Peer evidence alone: the Dawid-Skene fix rate from regular items shared with others. */
  peer?: PeerEstimate | null;
  /** Benchmarks and peer evidence pooled under the project's population prior; null without any evidence. */
  skill?: SkillEstimate | null;
}

/** Posterior mean fix rate with its 95% interval; `peer_rows` regular answers count beside the benchmarks. */
export interface SkillEstimate {
  estimate: number;
  low: number;
  high: number;
  peer_rows: number;
}

export interface SkipSignal {
  benchmarks_served: number;
  benchmarks_skipped: number;
  benchmark_skip_rate: number | null;
  work_served: number;
  work_skipped: number;
  work_skip_rate: number | null;
  p_value: number;
  selective: boolean;
}

export interface PeerEstimate {
  score: number | null;
  evidence: number;
  items: number;
  kept_share: number | null;
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
/** One feature of served tasks and how well it alone tells benchmarks from work (AUC 0.5-1). */
export interface AuditFeature {
  name: string;
  auc: number;
  higher_on_benchmarks: boolean;
}

/** The benchmark audit: cross-validated ROC AUC of telling benchmarks from work by what a client sees. */
export interface BenchmarkAudit {
  id: number;
  computed_at: string;
  n_tasks: number;
  n_benchmarks: number;
  auc: number | null;
  low: number | null;
  high: number | null;
  folds: number;
  features: AuditFeature[];
  reason: string | null;
}

export interface BenchmarkAuditBody {
  audit: BenchmarkAudit | null;
}

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
  /** Null once the rule was deleted. */
  rule_id: number | null;
  kind: string;
  /** Same as kind. */
  code: string;
  severity: AlertSeverity;
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

/** A background job (`GET /jobs/{id}/`; annotation_qc/core/apis.py JobOutputSerializer). */
export interface Job {
  id: number;
  kind: string;
  project?: number;
  status: "pending" | "running" | "succeeded" | "failed";
  /** 0 to 1: `done / total` while running, 1 once succeeded. */
  progress: number;
  done?: number;
  total?: number;
  message: string;
  params?: Record<string, unknown>;
  /** Kind-specific: an import's ImportReport, an export's `{export_id, sha256, items, unresolved}`. */
  result: unknown;
  attempts?: number;
  created_at?: string;
  started_at?: string | null;
  finished_at?: string | null;
}

// --- Data in and out (annotation_qc/exchange/apis.py; docs/api.md "Data in and out")

export type ExportFormat = "coco" | "label_studio" | "csv" | "jsonl";
export type ImportFormat = ExportFormat | "images";
/** What an import creates: items (default), gold (managers only) or model predictions. */
export type ImportTarget = "items" | "gold" | "predictions";

/** `POST /projects/{id}/exports/` and `/imports/` answer 202 with the job to poll. */
export interface ExportStarted {
  export_id: number;
  job_id: number;
  status: string;
}

export interface ImportStarted {
  import_id: number;
  job_id: number;
  status: string;
}

/** A bucket source (managers): a prefix of an S3-compatible bucket whose images become items by sync. */
export interface BucketSource {
  id: number;
  project_id: number;
  name: string;
  endpoint_url: string;
  region: string;
  bucket: string;
  prefix: string;
  access_key_id: string;
  has_secret: boolean;
  pattern: string;
  manifest: string;
  annotation_suffix: string;
  prediction_suffix: string;
  model_version: string;
  /** One annotation file for the prefix (COCO .json, .jsonl, .csv): the new images it answers are gold. */
  annotation_file: string;
  /** The last key a sync listed (a flat prefix lists after it). */
  cursor: string;
  folder_cursors: Record<string, string>;
  /** The job of the latest sync (its status and SourceSyncReport), null before the first. */
  last_sync_job_id: number | null;
  created_at: string;
}

/** `POST /sources/{id}/sync/`: `full` when this sync is a full rescan, `scheduled` when the source was due one. */
export interface SourceSyncStarted {
  sync_id: number;
  job_id: number;
  full: boolean;
  scheduled: boolean;
}

/** A sync job's `result`. */
export interface SourceSyncReport {
  source_id: number;
  full: boolean;
  listed: number;
  matched: number;
  created: number;
  /** New items from keys sorting before the cursor: found only because the sync was a full rescan. */
  behind_cursor: number;
  updated: number;
  already_synced: number;
  gold: number;
  predictions: number;
  rejected: { key: string; reason: string }[];
  rejected_total: number;
  cursor: string;
}

export function isSourceSyncReport(value: unknown): value is SourceSyncReport {
  return typeof value === "object" && value !== null && "listed" in value && "behind_cursor" in value;
}

export interface ExportOptions {
  include_raw: boolean;
  include_gold: boolean;
}

export type LabelStatus = "consensus" | "single" | "gold" | "unresolved";

export interface ExportCounts {
  items: number;
  annotations: number;
  raw_annotations: number;
  per_label: Record<string, number>;
  /** Items by how their final label was reached; statuses without items are left out. */
  by_status: Partial<Record<LabelStatus, number>>;
  unresolved: number;
  unlabeled: number;
  awaiting_overlap: number;
}

export type ExportStatus = "pending" | "running" | "ready" | "failed";

/** One export snapshot (`GET /projects/{id}/exports/`, newest first). */
export interface ExportRecord {
  id: number;
  job_id: number;
  project_id: number;
  format: ExportFormat;
  options: ExportOptions;
  status: ExportStatus;
  /** Hex sha256 of the content; "" until ready. */
  sha256: string;
  size_bytes: number;
  /** Null until the export is built. */
  counts: ExportCounts | null;
  /** Only when ready. */
  download_url: string | null;
  created_by_id: number | null;
  created_at: string;
  finished_at: string | null;
}

/** An export's lineage, written with its content (`{}` until the export is ready). */
export interface ExportManifest {
  schema: string;
  export_id: number;
  project: { id: number; name: string; kind: ProjectKind; labels: string[] };
  format: ExportFormat;
  options: ExportOptions;
  content: { sha256: string; bytes: number; media_type: string; file_name: string };
  counts: ExportCounts;
  /** External ids of unresolved items (the first ones; `counts.unresolved` is the total). */
  unresolved: string[];
  /** `username` is null for a deleted account. */
  annotators: { id: number; username: string | null; items: number }[];
  agreement: {
    snapshot_id: number;
    computed_at: string;
    alpha: number | null;
    low: number | null;
    high: number | null;
    n_items: number;
  } | null;
  /** Per-annotator benchmark figures: only in manifests read by managers (absent for ML engineers). */
  benchmarks?: {
    annotator_id: number;
    username: string;
    status: ScorecardStatus;
    n: number;
    correct: number;
    accuracy: number | null;
    low: number;
    high: number;
  }[];
  gold_set: { count: number; max_id: number | null; latest_created_at: string | null; sha256: string };
  priority: {
    run_id: number;
    model_version: string | null;
    strategy: string;
    used_strategy: string;
    activated_at: string | null;
  } | null;
  created_at: string;
  created_by: { id: number; username: string } | null;
  built_at: string;
}

/** `GET /exports/{id}/`: the record with its manifest and the job's message. */
export interface ExportDetail extends ExportRecord {
  manifest: ExportManifest | Record<string, never>;
  message: string;
}

export function isExportManifest(m: ExportManifest | Record<string, never> | null | undefined): m is ExportManifest {
  return !!m && typeof (m as ExportManifest).schema === "string";
}

export interface ImportRejection {
  /** As named in the file: `images[3]`, `annotations[12]`, `row 7`, `line 5`, `archive:<member>`, `file`. */
  row: string;
  reason: string;
}

/** An import job's result, also the import's `report` (`{}` until the job has run). */
export interface ImportReport {
  import_id: number;
  format: ImportFormat;
  as: ImportTarget;
  created: number;
  gold?: number;
  predictions?: number;
  existing_items?: number;
  /** The first rejections (the server keeps at most IMPORT_REPORT_MAX_ROWS). */
  rejected: ImportRejection[];
  rejected_total: number;
  notes: string[];
}

export function isImportReport(r: unknown): r is ImportReport {
  return !!r && typeof r === "object" && Array.isArray((r as ImportReport).rejected);
}

export type ImportStatus = "pending" | "running" | "imported" | "rejected" | "failed";

export interface ImportRecord {
  id: number;
  job_id: number;
  project_id: number;
  format: ImportFormat;
  as: ImportTarget;
  model_version: string;
  /** Images given by URL downloaded and served from here (newer servers only). */
  copy_images?: boolean;
  status: ImportStatus;
  files: { name: string; role: "data" | "archive" | "image"; size: number }[];
  size_bytes: number;
  report: ImportReport | Record<string, never>;
  created_by_id: number | null;
  created_at: string;
  finished_at: string | null;
}

// --- Alerts and webhooks (annotation_qc/alerts/apis.py; docs/api.md "Alerts and webhooks")

export type AlertRuleKind =
  | "annotator_accuracy_below"
  | "agreement_below"
  | "lint_error_rate_above"
  | "label_distribution_shift"
  | "queue_dry";

export type AlertSeverity = "warning" | "critical";
export type AlertParamValue = number | string;

export interface AlertRule {
  id: number;
  kind: AlertRuleKind;
  name: string;
  severity: AlertSeverity;
  enabled: boolean;
  /** Every parameter of the kind (defaults filled in). */
  params: Record<string, AlertParamValue>;
  open_alerts: number;
  created_at: string;
  updated_at: string;
  last_checked_at: string | null;
}

/** One parameter of a rule kind (annotation_qc/domain/alert_params.py describe_kinds). */
export interface AlertParamSpec {
  /** Its type is the parameter's type: a string parameter has `choices`. */
  default: AlertParamValue;
  help: string;
  choices?: string[];
  min?: number;
  /** The value must be above `min` rather than at least `min`. */
  min_exclusive?: boolean;
  max?: number;
}

/** `GET alert-rules/kinds/`: every kind with its parameters, in the server's order. */
export interface AlertRuleKindSpec {
  kind: AlertRuleKind;
  params: Record<string, AlertParamSpec>;
}

export interface AlertRuleInput {
  kind: AlertRuleKind;
  name?: string;
  severity?: AlertSeverity;
  enabled?: boolean;
  params?: Record<string, AlertParamValue>;
}

/** PATCH merges `params` onto the current ones; the kind cannot change. */
export type AlertRulePatch = Partial<Omit<AlertRuleInput, "kind">>;

export type AlertStatusFilter = "open" | "resolved" | "all";

/** `POST alerts/check/`. */
export interface AlertCheckResult {
  /** Enabled rules checked. */
  rules: number;
  /** Ids of the alerts that fired. */
  fired: number[];
  resolved: number;
  open: number;
  /** Rule id -> error. */
  failed: Record<string, string>;
}

export interface Webhook {
  id: number;
  name: string;
  url: string;
  active: boolean;
  /** The secret itself is never sent back. */
  has_secret: boolean;
  created_at: string;
}

export interface WebhookInput {
  url: string;
  name?: string;
  /** Write-only. */
  secret?: string;
  active?: boolean;
}

export interface WebhookDelivery {
  id: number;
  alert_id: number;
  attempt: number;
  ok: boolean;
  status_code: number | null;
  error: string;
  response_excerpt: string;
  duration_ms: number;
  will_retry: boolean;
  attempted_at: string;
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
