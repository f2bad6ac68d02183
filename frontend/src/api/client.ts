// One function per endpoint of docs/api.md that the UI uses.
import { ApiError, apiRequest, buildUrl, ensureCsrf } from "./http";
import type {
  AgreementOverview,
  Alert,
  BenchmarkRecord,
  FindingRate,
  FindingRecord,
  Job,
  LintResult,
  Me,
  Member,
  Page,
  Payload,
  Progress,
  Project,
  ProjectSettings,
  QueuePage,
  Resolution,
  ResolveResult,
  ReviewItem,
  Scorecard,
  SkipResult,
  SubmitResult,
  Task,
} from "./types";

async function must<T>(promise: Promise<T | null>): Promise<T> {
  const value = await promise;
  if (value === null) throw new Error("Empty response from the server.");
  return value;
}

// --- auth
export const auth = {
  csrf: ensureCsrf,
  async login(username: string, password: string): Promise<Me> {
    await ensureCsrf();
    return must(apiRequest<Me>("POST", "/auth/login/", { body: { username, password } }));
  },
  async logout(): Promise<void> {
    await apiRequest<void>("POST", "/auth/logout/");
  },
  me(): Promise<Me> {
    return must(apiRequest<Me>("GET", "/auth/me/"));
  },
};

// --- projects
export const projects = {
  list(): Promise<Project[]> {
    return must(apiRequest<Project[]>("GET", "/projects/"));
  },
  get(projectId: number): Promise<Project> {
    return must(apiRequest<Project>("GET", `/projects/${projectId}/`));
  },
  update(
    projectId: number,
    patch: { name?: string; labels?: string[]; settings?: Partial<ProjectSettings> },
  ): Promise<Project> {
    return must(apiRequest<Project>("PATCH", `/projects/${projectId}/`, { body: patch }));
  },
  progress(projectId: number): Promise<Progress> {
    return must(apiRequest<Progress>("GET", `/projects/${projectId}/progress/`));
  },
  /** Managers only. */
  members(projectId: number): Promise<Member[]> {
    return must(apiRequest<Member[]>("GET", `/projects/${projectId}/members/`));
  },
};

// --- background jobs
export const jobs = {
  get(jobId: number): Promise<Job> {
    return must(apiRequest<Job>("GET", `/jobs/${jobId}/`));
  },
  /** Polls until the job has finished (succeeded or failed) or `timeoutMs` passes. */
  async wait(jobId: number, { intervalMs = 1000, timeoutMs = 120_000 } = {}): Promise<Job> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const job = await jobs.get(jobId);
      if (job.status === "succeeded" || job.status === "failed" || Date.now() > deadline) return job;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  },
};

// --- annotator loop
export const tasks = {
  /** The next task, or null when the queue is empty for this annotator (204). */
  next(projectId: number): Promise<Task | null> {
    return apiRequest<Task>("POST", `/projects/${projectId}/next-task/`);
  },
  lint(taskId: number, payload: Payload, timeSpentMs?: number, signal?: AbortSignal): Promise<LintResult> {
    const body: Record<string, unknown> = { payload };
    if (timeSpentMs !== undefined) body.time_spent_ms = Math.round(timeSpentMs);
    return must(apiRequest<LintResult>("POST", `/tasks/${taskId}/lint/`, { body, signal }));
  },
  submit(taskId: number, payload: Payload, timeSpentMs: number): Promise<SubmitResult> {
    return must(
      apiRequest<SubmitResult>("POST", `/tasks/${taskId}/submit/`, {
        body: { payload, time_spent_ms: Math.round(timeSpentMs) },
      }),
    );
  },
  skip(taskId: number, reason: string): Promise<SkipResult> {
    return must(apiRequest<SkipResult>("POST", `/tasks/${taskId}/skip/`, { body: { reason } }));
  },
};

// --- managers
export interface FindingsQuery {
  code?: string;
  /** A username or a user id. */
  annotator?: string;
  page?: number;
}

export const manager = {
  scorecards(projectId: number): Promise<Scorecard[]> {
    return must(apiRequest<Scorecard[]>("GET", `/projects/${projectId}/annotators/`));
  },
  scorecardsCsvUrl(projectId: number): string {
    return buildUrl(`/projects/${projectId}/annotators/`, { format: "csv" });
  },
  benchmarks(projectId: number, userId: number): Promise<BenchmarkRecord[]> {
    return must(apiRequest<BenchmarkRecord[]>("GET", `/projects/${projectId}/annotators/${userId}/benchmarks/`));
  },
  /** Page-number pagination: `?page=N`, 50 per page. */
  findings(projectId: number, query: FindingsQuery = {}): Promise<Page<FindingRecord>> {
    return must(
      apiRequest<Page<FindingRecord>>("GET", `/projects/${projectId}/findings/`, {
        query: { code: query.code, annotator: query.annotator, page: query.page },
      }),
    );
  },
  findingRates(projectId: number): Promise<FindingRate[]> {
    return must(apiRequest<FindingRate[]>("GET", `/projects/${projectId}/findings/rates/`));
  },
  agreement(projectId: number): Promise<AgreementOverview> {
    return must(apiRequest<AgreementOverview>("GET", `/projects/${projectId}/agreement/`));
  },
  /** Starts computing a new agreement report; poll `/jobs/{job_id}/`. */
  computeAgreement(projectId: number): Promise<{ job_id: number }> {
    return must(apiRequest<{ job_id: number }>("POST", `/projects/${projectId}/agreement/compute/`));
  },
  agreementItems(projectId: number, maxAlpha?: number): Promise<ReviewItem[]> {
    return must(
      apiRequest<ReviewItem[]>("GET", `/projects/${projectId}/agreement/items/`, { query: { max_alpha: maxAlpha } }),
    );
  },
  resolveItem(projectId: number, itemId: number, resolution: Resolution, makeGold: boolean): Promise<ResolveResult> {
    return must(
      apiRequest<ResolveResult>("POST", `/projects/${projectId}/agreement/items/${itemId}/resolve/`, {
        body: { ...resolution, make_gold: makeGold },
      }),
    );
  },
  /** Open alerts first. A server without the alerts endpoint (404) has no alerts. */
  async alerts(projectId: number): Promise<Alert[]> {
    try {
      const page = await must(apiRequest<Page<Alert>>("GET", `/projects/${projectId}/alerts/`));
      return page.results;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return [];
      throw err;
    }
  },
  acknowledgeAlert(projectId: number, alertId: number): Promise<Alert> {
    return must(apiRequest<Alert>("POST", `/projects/${projectId}/alerts/${alertId}/acknowledge/`));
  },
  queue(projectId: number, limit = 10): Promise<QueuePage> {
    return must(apiRequest<QueuePage>("GET", `/projects/${projectId}/queue/`, { query: { limit } }));
  },
};
