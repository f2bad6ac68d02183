// One function per endpoint of docs/api.md that the UI uses.
import { ApiError, apiRequest, buildUrl, ensureCsrf } from "./http";
import type {
  BenchmarkAuditBody,
  AgreementOverview,
  AnnotationView,
  ChartData,
  Draft,
  LabelConfigEntry,
  MemberCandidate,
  MyAnswer,
  NewProject,
  OwnScore,
  PrioritizeStarted,
  Alert,
  AlertCheckResult,
  AlertRule,
  AlertRuleInput,
  AlertRuleKindSpec,
  AlertRulePatch,
  AlertStatusFilter,
  BenchmarkRecord,
  BucketSource,
  ExportDetail,
  ExportFormat,
  ExportRecord,
  ExportStarted,
  ImportFormat,
  ImportRecord,
  ImportStarted,
  ImportTarget,
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
  SourceSyncStarted,
  SubmitResult,
  Task,
  Webhook,
  WebhookDelivery,
  WebhookInput,
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
  /** Merges hotkey remaps `{projectId: {label: key or null}}` into the user's preferences. */
  setHotkeys(hotkeys: Record<string, Record<string, string | null>>): Promise<Me["preferences"]> {
    return must(apiRequest<Me["preferences"]>("PATCH", "/auth/me/preferences/", { body: { hotkeys } }));
  },
  async setPassword(uid: string, token: string, password: string): Promise<void> {
    await ensureCsrf();
    await apiRequest<void>("POST", "/auth/set-password/", { body: { uid, token, password } });
  },
};

// --- accounts (staff)
export const accounts = {
  create(body: { username: string; email?: string; is_staff?: boolean }): Promise<{
    id: number;
    username: string;
    set_password_url: string;
  }> {
    return must(apiRequest("POST", "/accounts/", { body }));
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
    patch: {
      name?: string;
      labels?: string[];
      label_config?: Record<string, LabelConfigEntry>;
      instructions?: string;
      settings?: Partial<ProjectSettings>;
    },
  ): Promise<Project> {
    return must(apiRequest<Project>("PATCH", `/projects/${projectId}/`, { body: patch }));
  },
  create(body: NewProject): Promise<Project> {
    return must(apiRequest<Project>("POST", "/projects/", { body }));
  },
  renameLabel(projectId: number, from: string, to: string): Promise<Project> {
    return must(apiRequest<Project>("POST", `/projects/${projectId}/labels/rename/`, { body: { from, to } }));
  },
  addMember(projectId: number, username: string, role: string): Promise<Member> {
    return must(apiRequest<Member>("POST", `/projects/${projectId}/members/`, { body: { username, role } }));
  },
  setMemberRole(projectId: number, userId: number, role: string): Promise<Member> {
    return must(apiRequest<Member>("PATCH", `/projects/${projectId}/members/${userId}/`, { body: { role } }));
  },
  async removeMember(projectId: number, userId: number): Promise<void> {
    await apiRequest<void>("DELETE", `/projects/${projectId}/members/${userId}/`);
  },
  async memberCandidates(projectId: number, q: string): Promise<MemberCandidate[]> {
    const page = await must(
      apiRequest<{ results: MemberCandidate[] }>("GET", `/projects/${projectId}/member-candidates/`, { query: { q } }),
    );
    return page.results;
  },
  /** One answer with its image and findings (managers). */
  annotation(projectId: number, annotationId: number): Promise<AnnotationView> {
    return must(apiRequest<AnnotationView>("GET", `/projects/${projectId}/annotations/${annotationId}/`));
  },
  /** The annotator's own benchmark score (403 when the project does not show it). */
  myScore(projectId: number): Promise<OwnScore> {
    return must(apiRequest<OwnScore>("GET", `/projects/${projectId}/my-score/`));
  },
  chart<Row = Record<string, string | number | null>>(projectId: number, name: string): Promise<ChartData<Row>> {
    return must(apiRequest<ChartData<Row>>("GET", `/projects/${projectId}/charts/${name}/`));
  },
  chartUrl(projectId: number, name: string): string {
    return buildUrl(`/projects/${projectId}/charts/${name}/`);
  },
  /** Starts a prioritisation run; a 409 carries the running one's `job_id`. */
  prioritize(projectId: number, strategy: string): Promise<PrioritizeStarted> {
    return must(apiRequest<PrioritizeStarted>("POST", `/projects/${projectId}/prioritize/`, { body: { strategy } }));
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
  /**
   * Polls until the job has finished (succeeded or failed) or `timeoutMs` passes, then resolves to the job as last
   * seen. `onProgress` sees every poll; an aborted `signal` stops polling (the promise rejects with its reason).
   */
  async wait(
    jobId: number,
    {
      intervalMs = 1000,
      timeoutMs = 120_000,
      onProgress,
      signal,
    }: { intervalMs?: number; timeoutMs?: number; onProgress?: (job: Job) => void; signal?: AbortSignal } = {},
  ): Promise<Job> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      const job = await jobs.get(jobId);
      signal?.throwIfAborted();
      onProgress?.(job);
      if (job.status === "succeeded" || job.status === "failed" || Date.now() > deadline) return job;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(done, intervalMs);
        function done() {
          signal?.removeEventListener("abort", abort);
          resolve();
        }
        function abort() {
          clearTimeout(timer);
          reject(signal?.reason);
        }
        signal?.addEventListener("abort", abort, { once: true });
      });
    }
  },
};

// --- annotator loop
export const tasks = {
  /** The next task, or null when the queue is empty for this annotator (204). */
  next(projectId: number): Promise<Task | null> {
    // Idempotent on the server: any number of calls answer the same open task, so a busy answer is retried.
    return apiRequest<Task>("POST", `/projects/${projectId}/next-task/`, { idempotent: true });
  },
  lint(taskId: string, payload: Payload, timeSpentMs?: number, signal?: AbortSignal): Promise<LintResult> {
    const body: Record<string, unknown> = { payload };
    if (timeSpentMs !== undefined) body.time_spent_ms = Math.round(timeSpentMs);
    return must(apiRequest<LintResult>("POST", `/tasks/${taskId}/lint/`, { body, signal }));
  },
  submit(taskId: string, payload: Payload, timeSpentMs: number): Promise<SubmitResult> {
    return must(
      apiRequest<SubmitResult>("POST", `/tasks/${taskId}/submit/`, {
        body: { payload, time_spent_ms: Math.round(timeSpentMs) },
      }),
    );
  },
  skip(taskId: string, reason: string): Promise<SkipResult> {
    return must(apiRequest<SkipResult>("POST", `/tasks/${taskId}/skip/`, { body: { reason } }));
  },
  /** The annotator's last answers, newest first, with whether each may still be changed. */
  async myAnswers(projectId: number): Promise<MyAnswer[]> {
    const page = await must(apiRequest<{ results: MyAnswer[] }>("GET", `/projects/${projectId}/my-answers/`));
    return page.results;
  },
  /** Changes one's own submitted answer (within the project's edit window; 409 after). */
  /** Linted like a submit: 400 with the findings on an error, else the stored warnings. */
  revise(
    taskId: Task["id"],
    payload: Payload,
    timeSpentMs: number,
  ): Promise<{ task_id: Task["id"]; versions: number; findings: SubmitResult["findings"] }> {
    return must(
      apiRequest("PUT", `/tasks/${taskId}/answer/`, { body: { payload, time_spent_ms: Math.round(timeSpentMs) } }),
    );
  },
  /** The saved draft of an open task, or null (204). */
  draft(taskId: Task["id"]): Promise<Draft | null> {
    return apiRequest<Draft>("GET", `/tasks/${taskId}/draft/`);
  },
  saveDraft(taskId: Task["id"], payload: Payload, elapsedMs: number): Promise<Draft> {
    return must(
      apiRequest<Draft>("PUT", `/tasks/${taskId}/draft/`, { body: { payload, elapsed_ms: Math.round(elapsedMs) } }),
    );
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
  /** The latest benchmark audit (`audit` null before the first run, or from a server without the endpoint). */
  async benchmarkAudit(projectId: number): Promise<BenchmarkAuditBody> {
    try {
      return await must(apiRequest<BenchmarkAuditBody>("GET", `/projects/${projectId}/benchmark-audit/`));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return { audit: null };
      throw err;
    }
  },
  /** Runs the benchmark audit now (synchronous on the server). */
  runBenchmarkAudit(projectId: number): Promise<BenchmarkAuditBody> {
    return must(apiRequest<BenchmarkAuditBody>("POST", `/projects/${projectId}/benchmark-audit/`));
  },
  /** Starts computing a new agreement report; poll `/jobs/{job_id}/`. */
  computeAgreement(projectId: number): Promise<{ job_id: number }> {
    return must(apiRequest<{ job_id: number }>("POST", `/projects/${projectId}/agreement/compute/`));
  },
  /** The lowest-scoring items, at most `limit` (a plain list: the server takes no offset). */
  agreementItems(projectId: number, maxAlpha?: number, limit?: number): Promise<ReviewItem[]> {
    return must(
      apiRequest<ReviewItem[]>("GET", `/projects/${projectId}/agreement/items/`, {
        query: { max_alpha: maxAlpha, limit },
      }),
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
  queue(projectId: number, limit = 10, cursor?: string): Promise<QueuePage> {
    return must(apiRequest<QueuePage>("GET", `/projects/${projectId}/queue/`, { query: { limit, cursor } }));
  },
};

// --- data in and out (managers and ML engineers)
/** Limit/offset pagination of the imports and exports lists (50 by default, at most 500). */
export interface ListWindow {
  limit?: number;
  offset?: number;
}

export interface ImportRequest {
  format: ImportFormat;
  as: ImportTarget;
  /** Required for predictions. */
  modelVersion?: string;
  /** An annotation file, or a zip of one annotation file plus images (or of images only). */
  file?: File | null;
  /** Image files uploaded with it (or alone, for format "images"). */
  images?: File[];
  /** Download images given by URL and serve them from here (servers without it ignore the field). */
  copyImages?: boolean;
}

/** The multipart body of `POST /projects/{id}/imports/`. */
export function importFormData(request: ImportRequest): FormData {
  const form = new FormData();
  form.append("format", request.format);
  form.append("as", request.as);
  if (request.modelVersion) form.append("model_version", request.modelVersion);
  if (request.copyImages) form.append("copy_images", "true");
  if (request.file) form.append("file", request.file, request.file.name);
  for (const image of request.images ?? []) form.append("images", image, image.name);
  return form;
}

/** One presigned POST slot of `POST /projects/{id}/uploads/`: the file goes straight to the bucket. */
export interface UploadSlot {
  name: string;
  size: number;
  /** Names the uploaded object in the import request (`uploads`). */
  token: string;
  url: string;
  fields: Record<string, string>;
  expires_in: number;
}

/** Files sent to the bucket at once. */
export const UPLOAD_CONCURRENCY = 4;

/** Sends a file to its slot: a plain form POST to the bucket (its own origin: no cookie, no CSRF token). */
export async function sendToSlot(slot: UploadSlot, file: File, signal?: AbortSignal): Promise<void> {
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.fields)) form.append(name, value);
  form.append("file", file, file.name);
  const response = await fetch(slot.url, { method: "POST", body: form, credentials: "omit", signal });
  if (!response.ok) {
    const reason = response.status === 403 ? "the upload slot expired or was refused; start the import again" : "";
    throw new ApiError(response.status, {
      detail: `The bucket refused ${file.name} (${response.status})${reason ? `: ${reason}` : ""}.`,
      errors: { file: [`not uploaded (the bucket answered ${response.status})`] },
    });
  }
}

async function eachLimited<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<void>) {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index], index);
    }
  });
  await Promise.all(runners);
}

/** The files of an import request, the annotation file or archive first. */
function importFiles(request: ImportRequest): File[] {
  return [...(request.file ? [request.file] : []), ...(request.images ?? [])];
}

export const exchange = {
  /** Newest first. */
  exports(projectId: number, window: ListWindow = {}): Promise<Page<ExportRecord>> {
    return must(
      apiRequest<Page<ExportRecord>>("GET", `/projects/${projectId}/exports/`, {
        query: { limit: window.limit, offset: window.offset },
      }),
    );
  },
  /** The export with its manifest. */
  export(exportId: number): Promise<ExportDetail> {
    return must(apiRequest<ExportDetail>("GET", `/exports/${exportId}/`));
  },
  /** Starts building a snapshot; poll `/jobs/{job_id}/`. `coco` is for bbox projects (400 otherwise). */
  startExport(
    projectId: number,
    body: { format: ExportFormat; include_raw?: boolean; include_gold?: boolean },
  ): Promise<ExportStarted> {
    return must(apiRequest<ExportStarted>("POST", `/projects/${projectId}/exports/`, { body }));
  },
  /** Newest first. */
  imports(projectId: number, window: ListWindow = {}): Promise<Page<ImportRecord>> {
    return must(
      apiRequest<Page<ImportRecord>>("GET", `/projects/${projectId}/imports/`, {
        query: { limit: window.limit, offset: window.offset },
      }),
    );
  },
  import(importId: number): Promise<ImportRecord> {
    return must(apiRequest<ImportRecord>("GET", `/imports/${importId}/`));
  },
  /** Bucket sources (managers), newest first. */
  sources(projectId: number, window: ListWindow = {}): Promise<Page<BucketSource>> {
    return must(
      apiRequest<Page<BucketSource>>("GET", `/projects/${projectId}/sources/`, {
        query: { limit: window.limit, offset: window.offset },
      }),
    );
  },
  /** Connects a bucket prefix; 400 names the fields (bucket, endpoint_url, ...). */
  createSource(projectId: number, body: Record<string, string>): Promise<BucketSource> {
    return must(apiRequest<BucketSource>("POST", `/projects/${projectId}/sources/`, { body }));
  },
  /**
   * Starts a sync of a bucket source; poll `/jobs/{job_id}/`, whose `result` is a SourceSyncReport. `full`: a
   * full rescan (every key of the prefix, not only those after the cursor). 409 while one is under way.
   */
  startSync(sourceId: number, full: boolean): Promise<SourceSyncStarted> {
    return must(apiRequest<SourceSyncStarted>("POST", `/sources/${sourceId}/sync/`, { body: { full } }));
  },
  /** Upload slots for the files (409 when the server keeps files on its own disk). */
  uploadSlots(projectId: number, files: File[]): Promise<{ uploads: UploadSlot[] }> {
    return must(
      apiRequest<{ uploads: UploadSlot[] }>("POST", `/projects/${projectId}/uploads/`, {
        body: { files: files.map((f) => ({ name: f.name, size: f.size })) },
      }),
    );
  },
  /**
   * Starts an import; poll `/jobs/{job_id}/`, whose `result` is the import's report.
   *
   * With object storage the files go straight to the bucket (presigned POST slots, a few at a time), and
   * the import names them by their tokens: no web worker holds the bytes. A server that keeps files on
   * its disk answers the slots request 409: then the files go with the import request, as multipart.
   */
  async startImport(projectId: number, request: ImportRequest): Promise<ImportStarted> {
    const files = importFiles(request);
    let slots: UploadSlot[] | null = null;
    if (files.length > 0) {
      try {
        slots = (await exchange.uploadSlots(projectId, files)).uploads;
      } catch (err) {
        if (!(err instanceof ApiError && err.status === 409)) throw err;
      }
    }
    if (!slots) {
      return must(
        apiRequest<ImportStarted>("POST", `/projects/${projectId}/imports/`, { body: importFormData(request) }),
      );
    }
    const sent = slots;
    await eachLimited(files, UPLOAD_CONCURRENCY, (file, index) => sendToSlot(sent[index], file));
    const body: Record<string, unknown> = {
      format: request.format,
      as: request.as,
      uploads: sent.map((slot) => slot.token),
    };
    if (request.modelVersion) body.model_version = request.modelVersion;
    if (request.copyImages) body.copy_images = true;
    return must(apiRequest<ImportStarted>("POST", `/projects/${projectId}/imports/`, { body }));
  },
};

// --- alerts and webhooks (managers)
export const alerting = {
  /** Open alerts first; `?page=N`, 50 per page. */
  alerts(projectId: number, status: AlertStatusFilter = "all", page = 1): Promise<Page<Alert>> {
    return must(apiRequest<Page<Alert>>("GET", `/projects/${projectId}/alerts/`, { query: { status, page } }));
  },
  /** Checks every enabled rule now. */
  check(projectId: number): Promise<AlertCheckResult> {
    return must(apiRequest<AlertCheckResult>("POST", `/projects/${projectId}/alerts/check/`));
  },
  acknowledge(projectId: number, alertId: number): Promise<Alert> {
    return must(apiRequest<Alert>("POST", `/projects/${projectId}/alerts/${alertId}/acknowledge/`));
  },
  rules(projectId: number): Promise<AlertRule[]> {
    return must(apiRequest<AlertRule[]>("GET", `/projects/${projectId}/alert-rules/`));
  },
  ruleKinds(projectId: number): Promise<AlertRuleKindSpec[]> {
    return must(apiRequest<AlertRuleKindSpec[]>("GET", `/projects/${projectId}/alert-rules/kinds/`));
  },
  createRule(projectId: number, body: AlertRuleInput): Promise<AlertRule> {
    return must(apiRequest<AlertRule>("POST", `/projects/${projectId}/alert-rules/`, { body }));
  },
  /** `params` are merged onto the rule's current ones. */
  updateRule(projectId: number, ruleId: number, patch: AlertRulePatch): Promise<AlertRule> {
    return must(apiRequest<AlertRule>("PATCH", `/projects/${projectId}/alert-rules/${ruleId}/`, { body: patch }));
  },
  /** Resolves the rule's open alerts, which stay with `rule_id: null`. */
  async deleteRule(projectId: number, ruleId: number): Promise<void> {
    await apiRequest<void>("DELETE", `/projects/${projectId}/alert-rules/${ruleId}/`);
  },
  webhooks(projectId: number): Promise<Webhook[]> {
    return must(apiRequest<Webhook[]>("GET", `/projects/${projectId}/webhooks/`));
  },
  createWebhook(projectId: number, body: WebhookInput): Promise<Webhook> {
    return must(apiRequest<Webhook>("POST", `/projects/${projectId}/webhooks/`, { body }));
  },
  updateWebhook(projectId: number, webhookId: number, patch: Partial<WebhookInput>): Promise<Webhook> {
    return must(apiRequest<Webhook>("PATCH", `/projects/${projectId}/webhooks/${webhookId}/`, { body: patch }));
  },
  async deleteWebhook(projectId: number, webhookId: number): Promise<void> {
    await apiRequest<void>("DELETE", `/projects/${projectId}/webhooks/${webhookId}/`);
  },
  /** Every delivery attempt, newest first; `?page=N`, 50 per page. */
  deliveries(projectId: number, webhookId: number, page = 1): Promise<Page<WebhookDelivery>> {
    return must(
      apiRequest<Page<WebhookDelivery>>("GET", `/projects/${projectId}/webhooks/${webhookId}/deliveries/`, {
        query: { page },
      }),
    );
  },
};
