// One function per endpoint of docs/api.md that the UI uses.
import { apiRequest, buildUrl, ensureCsrf } from "./http";
import type {
  AgreementReport,
  Alert,
  BenchmarkRecord,
  FindingRecord,
  LintResult,
  Me,
  Page,
  Payload,
  Progress,
  Project,
  ProjectSettings,
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
  findings(projectId: number, query: FindingsQuery = {}): Promise<Page<FindingRecord>> {
    return must(
      apiRequest<Page<FindingRecord>>("GET", `/projects/${projectId}/findings/`, {
        query: { code: query.code, annotator: query.annotator, page: query.page },
      }),
    );
  },
  agreement(projectId: number): Promise<AgreementReport> {
    return must(apiRequest<AgreementReport>("GET", `/projects/${projectId}/agreement/`));
  },
  async agreementItems(projectId: number, maxAlpha?: number): Promise<ReviewItem[]> {
    const data = await must(
      apiRequest<ReviewItem[] | Page<ReviewItem>>("GET", `/projects/${projectId}/agreement/items/`, {
        query: { max_alpha: maxAlpha },
      }),
    );
    return Array.isArray(data) ? data : data.results;
  },
  resolveItem(projectId: number, itemId: number, payload: Payload, makeGold: boolean): Promise<unknown> {
    return apiRequest<unknown>("POST", `/projects/${projectId}/agreement/items/${itemId}/resolve/`, {
      body: { payload, make_gold: makeGold },
    });
  },
  async alerts(projectId: number): Promise<Alert[]> {
    const data = await must(apiRequest<Alert[] | Page<Alert>>("GET", `/projects/${projectId}/alerts/`));
    return Array.isArray(data) ? data : data.results;
  },
};
