// The review stage and label-error endpoints (docs/api.md "Review" and "ML teams").
import { apiRequest } from "./http";
import type { Finding, Item, Payload, Task } from "./types";

export type ReviewOrder = "suspicion" | "agreement" | "model_confidence" | "age";
export const REVIEW_ORDERS: readonly ReviewOrder[] = ["suspicion", "agreement", "model_confidence", "age"];

export interface ReviewComment {
  box: number | null;
  region: [number, number, number, number] | null;
  text: string;
}

export type ObjectVerdictValue = "accepted" | "rejected";

/** A reviewer's verdict on one box (`box`: its index in the reviewed answer, as in comments). */
export interface ObjectVerdict {
  box: number;
  verdict: ObjectVerdictValue;
  comment?: string;
}

/** A box a reviewer rejected, shown to the annotator in the rework. */
export interface RejectedObject {
  box: number;
  comment: string;
}

export interface ReviewRow {
  id: number;
  item: { id: number };
  round: number;
  suspicion: number;
  agreement: number | null;
  model_confidence: number | null;
  entered_at: string;
}

export interface ReviewRoundEntry {
  round: number;
  action: "accept" | "fix" | "reject" | "rework" | "closed";
  by: string | null;
  comments: ReviewComment[];
  /** Per-object verdicts of the round (empty when judged only as a whole). */
  objects?: ObjectVerdict[];
  diff: Record<string, unknown> | null;
  objects_changed: number;
  seconds_waiting: number;
  seconds_working: number | null;
  at: string;
}

export interface ReviewDetail extends Omit<ReviewRow, "item"> {
  status: "pending" | "rework" | "accepted" | "fixed" | "resolved_elsewhere";
  project_id: number;
  kind: "bbox" | "classification";
  labels: string[];
  item: Item;
  payload: Payload;
  pre_annotation: Payload | null;
  other_answers: { annotator: string; payload: Payload }[];
  history: ReviewRoundEntry[];
}

export interface ReviewQueue {
  order: ReviewOrder;
  count: number;
  results: ReviewRow[];
}

export interface ReworkEntry {
  task: Task;
  rework: {
    status: string;
    round: number;
    payload: Payload;
    comments: ReviewComment[];
    rejected_objects?: RejectedObject[];
    rejected_at: string | null;
  };
}

export interface Suspect {
  rank: number;
  item_id: number;
  external_id: string;
  score: number;
  kind: string;
  given_label: string;
  suggested_label: string;
  model_confidence: number | null;
  reason: string;
  annotation_id: number | null;
  annotator: string | null;
}

export interface SuspectRun {
  id: number;
  job_id: number | null;
  status: string;
  source: string;
  model_version: string;
  items: number;
  suspects: number;
  message: string;
  finished_at: string | null;
}

export interface SuspectsPage {
  run: SuspectRun | null;
  latest_run: SuspectRun | null;
  count: number;
  results: Suspect[];
}

export interface RateEstimate {
  value: number | null;
  low: number | null;
  high: number | null;
}

export interface TimeSummary {
  median: number | null;
  mean: number | null;
  n: number;
}

/** One annotator's review outcomes (annotation_qc/review/selectors.py review_scorecard). */
export interface ReviewScorecardRow {
  user_id: number;
  username: string | null;
  reviews: number;
  first_pass_acceptance: RateEstimate;
  rejection_rate: RateEstimate;
  /** Boxes rejected of the boxes given a verdict (per-object review); n: boxes given a verdict. */
  object_rejection_rate?: RateEstimate & { n: number };
  objects_fixed_per_review: RateEstimate;
  rework_rounds_per_review: RateEstimate;
  time_in_review_seconds: TimeSummary;
  time_in_queue_seconds?: TimeSummary;
  benchmark_accuracy: RateEstimate & { n: number };
  trend: { week: string; reviews: number; first_pass_accepted: number }[];
}

/** One reviewer's record (reviewer_scorecard). */
export interface ReviewerScorecardRow {
  user_id: number;
  username: string | null;
  status: "calibrating" | "ok" | "flagged";
  flag_reason: string | null;
  reviews: number;
  accepted: number;
  fixed: number;
  rejected: number;
  benchmarks: { n: number; caught: number; accuracy: number | null; low: number | null; high: number | null };
}

async function must<T>(promise: Promise<T | null>): Promise<T> {
  const value = await promise;
  if (value === null) throw new Error("Empty response from the server.");
  return value;
}

export const review = {
  queue(projectId: number, order?: ReviewOrder): Promise<ReviewQueue> {
    return must(
      apiRequest<ReviewQueue>("GET", `/projects/${projectId}/review-queue/`, {
        query: order ? { order, limit: 200 } : { limit: 200 },
      }),
    );
  },
  detail(projectId: number, reviewId: number): Promise<ReviewDetail> {
    return must(apiRequest<ReviewDetail>("GET", `/projects/${projectId}/reviews/${reviewId}/`));
  },
  /** Opens a pending review in the workspace: the reviewer's working time (time in review) starts. */
  open(projectId: number, reviewId: number): Promise<ReviewDetail> {
    return must(apiRequest<ReviewDetail>("POST", `/projects/${projectId}/reviews/${reviewId}/open/`));
  },
  act(
    projectId: number,
    reviewId: number,
    action: "accept" | "fix" | "reject",
    body: { payload?: Payload; comments?: ReviewComment[]; round?: number },
  ): Promise<ReviewDetail> {
    return must(apiRequest<ReviewDetail>("POST", `/projects/${projectId}/reviews/${reviewId}/${action}/`, { body }));
  },
  /** Accept or reject with a verdict per box: the decision, when left out, follows from the boxes. */
  decide(
    projectId: number,
    reviewId: number,
    body: { objects: ObjectVerdict[]; decision?: "accept" | "reject"; comments?: ReviewComment[]; round?: number },
  ): Promise<ReviewDetail> {
    return must(apiRequest<ReviewDetail>("POST", `/projects/${projectId}/reviews/${reviewId}/decide/`, { body }));
  },
  myRework(projectId: number): Promise<{ count: number; results: ReworkEntry[] }> {
    return must(apiRequest<{ count: number; results: ReworkEntry[] }>("GET", `/projects/${projectId}/my-rework/`));
  },
  submitRework(
    taskId: string,
    payload: Payload,
    timeSpentMs: number,
  ): Promise<{ status: string; round: number; findings?: Finding[] }> {
    return must(
      apiRequest<{ status: string; round: number; findings?: Finding[] }>("POST", `/tasks/${taskId}/rework/`, {
        body: { payload, time_spent_ms: Math.round(timeSpentMs) },
      }),
    );
  },
  reviewScorecard(projectId: number): Promise<{ results: ReviewScorecardRow[] }> {
    return must(apiRequest<{ results: ReviewScorecardRow[] }>("GET", `/projects/${projectId}/review-scorecard/`));
  },
  reviewerScorecard(projectId: number): Promise<{ results: ReviewerScorecardRow[] }> {
    return must(apiRequest<{ results: ReviewerScorecardRow[] }>("GET", `/projects/${projectId}/reviewer-scorecard/`));
  },
  suspects(projectId: number, limit = 200): Promise<SuspectsPage> {
    return must(apiRequest<SuspectsPage>("GET", `/projects/${projectId}/label-errors/`, { query: { limit } }));
  },
  detectSuspects(projectId: number, modelVersion = ""): Promise<{ job_id: number; run_id: number }> {
    return must(
      apiRequest<{ job_id: number; run_id: number }>("POST", `/projects/${projectId}/label-errors/`, {
        body: modelVersion ? { model_version: modelVersion } : {},
      }),
    );
  },
  suspectsCsvUrl(projectId: number): string {
    return `/api/v1/projects/${projectId}/label-errors/?format=csv`;
  },
};
