// Data in and out: export snapshots (with their manifest) and imports of files (with their report).
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { ApiError, errorMessage, exchange, jobs } from "../api";
import {
  isExportManifest,
  isImportReport,
  type ExportFormat,
  type ExportManifest,
  type ExportRecord,
  type ImportFormat,
  type ImportRecord,
  type ImportReport,
  type ImportTarget,
  type Job,
  type Page,
  type Project,
} from "../api/types";
import { useAuth } from "../auth";
import { formatPct, IntervalBar } from "../components/IntervalBar";
import {
  checkImport,
  exportFormatsFor,
  FORMAT_LABELS,
  formatBytes,
  formatTime,
  importFormatsFor,
  importTargetsFor,
  placeImportErrors,
  shortSha,
  TARGET_LABELS,
  type FieldErrors,
  type ImportField,
} from "../manager/exchange";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

/** Rows per page of the exports and imports tables. */
export const LIST_PAGE = 25;
/** How often the tables refresh while a row is pending or running (a job started elsewhere, or by a reload). */
export const LIST_REFRESH_MS = 3000;
/** How often a job this page started is polled. */
export const JOB_POLL_MS = 1000;

export function DataPage({ projectId }: { projectId: number }) {
  return (
    <ManagerPage projectId={projectId} tab="data">
      {(project) => <DataScreen project={project} />}
    </ManagerPage>
  );
}

/** How often a started job is polled and a list with unfinished rows refreshes (tests make them short). */
export interface Timing {
  jobPollMs: number;
  listRefreshMs: number;
}

const TIMING: Timing = { jobPollMs: JOB_POLL_MS, listRefreshMs: LIST_REFRESH_MS };

export function DataScreen({ project, timing = TIMING }: { project: Project; timing?: Timing }) {
  return (
    <div className="data-page" data-testid="data-page">
      <h1>Data in and out</h1>
      <ExportsSection project={project} timing={timing} />
      <ImportsSection project={project} timing={timing} />
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Shared pieces

/** Refreshes a list while any of its rows is still pending or running. */
function useRefreshWhile(busy: boolean, reload: () => void, data: unknown, ms: number) {
  useEffect(() => {
    if (!busy) return;
    const timer = setTimeout(reload, ms);
    return () => clearTimeout(timer);
  }, [busy, reload, data, ms]);
}

/** The signal of an AbortController aborted when the component unmounts: stops polling a job nobody looks at. */
function useUnmountSignal(): () => AbortSignal {
  const controller = useRef<AbortController | null>(null);
  useEffect(() => {
    const current = new AbortController();
    controller.current = current;
    return () => {
      current.abort(new DOMException("Left the page", "AbortError"));
      controller.current = null;
    };
  }, []);
  return useCallback(() => (controller.current ??= new AbortController()).signal, []);
}

function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === "AbortError";
}

type JobPhase =
  | { step: "idle" }
  | { step: "uploading"; bytes: number }
  | { step: "starting" }
  | { step: "running"; id: number; job: Job | null }
  | { step: "finished"; id: number; job: Job };

/** A job's state in words with a meter: "Importing… 40%". */
function JobLine({ phase, noun, testId }: { phase: JobPhase; noun: string; testId: string }) {
  if (phase.step === "idle") return null;
  let text: string;
  let status: string;
  let progress: number | null = null;
  if (phase.step === "uploading") {
    text = `Uploading ${formatBytes(phase.bytes)}…`;
    status = "uploading";
  } else if (phase.step === "starting") {
    text = "Starting…";
    status = "starting";
  } else {
    const job = phase.job;
    status = job?.status ?? "pending";
    progress = job?.progress ?? 0;
    const counts = job?.total ? ` (${job.done ?? 0} of ${job.total})` : "";
    if (phase.step === "running") {
      text =
        status === "pending"
          ? `${noun} #${phase.id} is queued…`
          : `${noun} #${phase.id}: ${Math.round(progress * 100)}%${counts}…`;
    } else if (status === "succeeded") {
      text = `${noun} #${phase.id} finished${job?.message ? `: ${job.message}` : "."}`;
    } else if (status === "failed") {
      text = `${noun} #${phase.id} failed${job?.message ? `: ${job.message}` : "."}`;
    } else {
      text = `${noun} #${phase.id} is still ${status}; the table below updates when it finishes.`;
    }
  }
  const finished = phase.step === "finished";
  return (
    <div className={`job-line ${status}`} role="status" data-testid={testId} data-status={status}
      data-progress={progress ?? undefined}>
      <span>{text}</span>
      {!finished && progress !== null && (
        <div className="meter" role="progressbar" aria-label={`${noun} progress`} aria-valuemin={0} aria-valuemax={100}
          aria-valuenow={Math.round(progress * 100)}>
          <div className="meter-fill" style={{ width: `${progress * 100}%` }} />
        </div>
      )}
    </div>
  );
}

function StatusBadge({ status, testId }: { status: string; testId: string }) {
  return (
    <span className={`job-badge ${status}`} data-testid={testId}>
      {status}
    </span>
  );
}

function Pager({ page, offset, setOffset, prefix }: {
  page: Page<unknown> | null;
  offset: number;
  setOffset: (offset: number) => void;
  prefix: string;
}) {
  if (!page || (offset === 0 && !page.next)) return null;
  return (
    <div className="pager">
      <button type="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - LIST_PAGE))}
        data-testid={`${prefix}-prev`}>
        Newer
      </button>
      <span className="muted small">
        {offset + 1}–{Math.min(offset + LIST_PAGE, page.count)} of {page.count}
      </span>
      <button type="button" disabled={!page.next} onClick={() => setOffset(offset + LIST_PAGE)}
        data-testid={`${prefix}-next`}>
        Older
      </button>
    </div>
  );
}

function FieldError({ messages, id, testId }: { messages: string[] | undefined; id: string; testId: string }) {
  if (!messages || messages.length === 0) return null;
  return (
    <ul id={id} className="field-errors" data-testid={testId}>
      {messages.map((m) => (
        <li key={m}>{m}</li>
      ))}
    </ul>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Exports

function exportOptionsText(e: ExportRecord): string {
  const parts = [e.options.include_raw && "raw answers", e.options.include_gold && "gold items"].filter(Boolean);
  return parts.length ? `with ${parts.join(" and ")}` : "final labels only";
}

function ExportsSection({ project, timing }: { project: Project; timing: Timing }) {
  const formats = exportFormatsFor(project.kind);
  const [format, setFormat] = useState<ExportFormat>(project.kind === "bbox" ? "coco" : "jsonl");
  const [includeRaw, setIncludeRaw] = useState(false);
  const [includeGold, setIncludeGold] = useState(false);
  const [phase, setPhase] = useState<JobPhase>({ step: "idle" });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [detail, setDetail] = useState<string | null>(null);
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<number | null>(null);
  const unmountSignal = useUnmountSignal();
  const list = useAsync(() => exchange.exports(project.id, { limit: LIST_PAGE, offset }), [project.id, offset]);
  const reload = list.reload;
  const busyRows = (list.data?.results ?? []).some((e) => e.status === "pending" || e.status === "running");
  useRefreshWhile(busyRows, reload, list.data, timing.listRefreshMs);
  const running = phase.step === "starting" || phase.step === "running";

  const start = async (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setDetail(null);
    setPhase({ step: "starting" });
    try {
      const started = await exchange.startExport(project.id, {
        format,
        include_raw: includeRaw,
        include_gold: includeGold,
      });
      setPhase({ step: "running", id: started.export_id, job: null });
      setOffset(0);
      reload();
      const job = await jobs.wait(started.job_id, {
        intervalMs: timing.jobPollMs,
        signal: unmountSignal(),
        onProgress: (j) => setPhase({ step: "running", id: started.export_id, job: j }),
      });
      setPhase({ step: "finished", id: started.export_id, job });
      reload();
      if (job.status === "succeeded") setSelected(started.export_id);
    } catch (err) {
      if (isAbort(err)) return;
      setPhase({ step: "idle" });
      if (err instanceof ApiError) setErrors(err.body.errors ?? {});
      setDetail(errorMessage(err));
    }
  };

  const known = new Set(["format", "include_raw", "include_gold"]);
  const other = Object.entries(errors).filter(([k]) => !known.has(k));
  return (
    <section className="card data-section" aria-labelledby="exports-title">
      <h2 id="exports-title">Exports</h2>
      <form className="data-form" onSubmit={start} noValidate data-testid="export-form">
        <div className={`field${errors.format ? " invalid" : ""}`}>
          <label htmlFor="export-format">Format</label>
          <select id="export-format" value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}
            aria-invalid={errors.format ? true : undefined} data-testid="export-format">
            {formats.map((f) => (
              <option key={f} value={f}>
                {FORMAT_LABELS[f]}
              </option>
            ))}
          </select>
          <FieldError id="export-format-error" messages={errors.format} testId="export-error-format" />
        </div>
        <label className="check">
          <input type="checkbox" checked={includeRaw} onChange={(e) => setIncludeRaw(e.target.checked)}
            data-testid="export-include-raw" />
          Include every annotator's raw answers
        </label>
        <label className="check">
          <input type="checkbox" checked={includeGold} onChange={(e) => setIncludeGold(e.target.checked)}
            data-testid="export-include-gold" />
          Include gold items
        </label>
        <button type="submit" className="primary" disabled={running} data-testid="export-start">
          {running ? "Exporting…" : "Start export"}
        </button>
      </form>
      {detail && (
        <p className="error" role="alert" data-testid="export-error">
          {detail}
        </p>
      )}
      {other.length > 0 && (
        <FieldError id="export-error-other" testId="export-error-other"
          messages={other.flatMap(([k, ms]) => ms.map((m) => (k ? `${k}: ${m}` : m)))} />
      )}
      <JobLine phase={phase} noun="Export" testId="export-job" />

      {list.error && <p className="error">{list.error}</p>}
      {list.data && list.data.results.length === 0 && (
        <p className="muted" data-testid="exports-empty">
          No exports yet.
        </p>
      )}
      {list.data && list.data.results.length > 0 && (
        <div className="table-wrap">
          <table className="compact data-table" data-testid="exports-table">
            <thead>
              <tr>
                <th scope="col">Export</th>
                <th scope="col">Format</th>
                <th scope="col">Options</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">Items</th>
                <th scope="col" className="num">Annotations</th>
                <th scope="col">sha256</th>
                <th scope="col" className="num">Size</th>
                <th scope="col">Created</th>
                <th scope="col">File</th>
              </tr>
            </thead>
            <tbody>
              {list.data.results.map((e) => (
                <tr key={e.id} className={selected === e.id ? "selected" : undefined} data-testid="export-row"
                  data-export-id={e.id} data-status={e.status} data-format={e.format}>
                  <th scope="row">
                    <button type="button" className="link" onClick={() => setSelected(selected === e.id ? null : e.id)}
                      aria-expanded={selected === e.id} data-testid="export-open" title="Show the manifest">
                      #{e.id}
                    </button>
                  </th>
                  <td>{FORMAT_LABELS[e.format] ?? e.format}</td>
                  <td className="small">{exportOptionsText(e)}</td>
                  <td>
                    <StatusBadge status={e.status} testId="export-row-status" />
                  </td>
                  <td className="num" data-testid="export-items">{e.counts?.items ?? "—"}</td>
                  <td className="num" data-testid="export-annotations">{e.counts?.annotations ?? "—"}</td>
                  <td>
                    {e.sha256 ? (
                      <code title={e.sha256} data-testid="export-sha" data-sha256={e.sha256}>
                        {shortSha(e.sha256)}
                      </code>
                    ) : (
                      "—"
                    )}
                  </td>
                  <td className="num" title={`${e.size_bytes} bytes`} data-testid="export-size">
                    {e.status === "ready" ? formatBytes(e.size_bytes) : "—"}
                  </td>
                  <td className="small" title={e.created_at}>{formatTime(e.created_at)}</td>
                  <td>
                    {e.download_url ? (
                      <a href={e.download_url} download data-testid="export-download">
                        Download
                      </a>
                    ) : (
                      <span className="muted small">{e.status === "failed" ? "failed" : "not ready"}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={list.data} offset={offset} setOffset={setOffset} prefix="exports" />
      {selected !== null && <ExportManifestPanel exportId={selected} onClose={() => setSelected(null)} />}
    </section>
  );
}

function ExportManifestPanel({ exportId, onClose }: { exportId: number; onClose: () => void }) {
  const detail = useAsync(() => exchange.export(exportId), [exportId]);
  const d = detail.data;
  return (
    <section className="manifest" aria-labelledby="manifest-title" data-testid="export-manifest" data-export-id={exportId}>
      <div className="card-head">
        <h3 id="manifest-title">Export #{exportId}</h3>
        <button type="button" onClick={onClose} data-testid="manifest-close">
          Close
        </button>
      </div>
      {detail.error && (
        <p className="error" data-testid="manifest-error">
          {detail.error}
        </p>
      )}
      {d && !isExportManifest(d.manifest) && (
        <p className="muted" data-testid="manifest-pending">
          {d.status === "failed" ? `The export failed: ${d.message || "no reason given."}` : `The export is ${d.status}; its manifest is written when it is ready.`}
        </p>
      )}
      {d && isExportManifest(d.manifest) && <ManifestView manifest={d.manifest} />}
    </section>
  );
}

function ManifestView({ manifest: m }: { manifest: ExportManifest }) {
  const byStatus = Object.entries(m.counts.by_status);
  return (
    <div className="manifest-body">
      <dl className="facts">
        <Fact name="File">
          <code data-testid="manifest-file">{m.content.file_name}</code> ({formatBytes(m.content.bytes)}, {m.content.media_type})
        </Fact>
        <Fact name="sha256">
          <code className="sha" data-testid="manifest-sha256">{m.content.sha256}</code>
        </Fact>
        <Fact name="Options">
          {m.options.include_raw ? "raw answers included" : "no raw answers"} ·{" "}
          {m.options.include_gold ? "gold items included" : "no gold items"}
        </Fact>
        <Fact name="Built">
          {formatTime(m.built_at)}
          {m.created_by && ` by ${m.created_by.username}`}
        </Fact>
      </dl>

      <h4>Counts</h4>
      <dl className="stats" data-testid="manifest-counts">
        <SmallStat name="Items" value={m.counts.items} testId="manifest-items" />
        <SmallStat name="Annotations" value={m.counts.annotations} testId="manifest-annotations" />
        <SmallStat name="Raw answers" value={m.counts.raw_annotations} testId="manifest-raw" />
        {byStatus.map(([status, n]) => (
          <SmallStat key={status} name={`Items: ${status}`} value={n ?? 0} testId={`manifest-status-${status}`} />
        ))}
        <SmallStat name="Unresolved" value={m.counts.unresolved} testId="manifest-unresolved" />
        <SmallStat name="Unlabeled" value={m.counts.unlabeled} testId="manifest-unlabeled" />
        <SmallStat name="Awaiting more answers" value={m.counts.awaiting_overlap} testId="manifest-awaiting" />
      </dl>
      {Object.keys(m.counts.per_label).length > 0 && (
        <p className="small" data-testid="manifest-per-label">
          Per label:{" "}
          {Object.entries(m.counts.per_label)
            .map(([label, n]) => `${label} ${n}`)
            .join(" · ")}
        </p>
      )}
      {m.unresolved.length > 0 && (
        <p className="small">
          Unresolved items: {m.unresolved.join(", ")}
          {m.counts.unresolved > m.unresolved.length && ` and ${m.counts.unresolved - m.unresolved.length} more`}
        </p>
      )}

      <div className="manifest-grid">
        <div>
          <h4>Agreement</h4>
          <div data-testid="manifest-agreement">
            {m.agreement === null ? (
              <span className="muted">No agreement report when exported.</span>
            ) : m.agreement.alpha === null ? (
              <span className="muted">Alpha undefined over {m.agreement.n_items} items.</span>
            ) : (
              <>
                alpha <strong>{m.agreement.alpha.toFixed(3)}</strong>
                {m.agreement.low !== null && m.agreement.high !== null &&
                  ` (95% interval ${m.agreement.low.toFixed(3)} to ${m.agreement.high.toFixed(3)})`}{" "}
                over {m.agreement.n_items} item{m.agreement.n_items === 1 ? "" : "s"}
                <span className="muted small"> · computed {formatTime(m.agreement.computed_at)}</span>
              </>
            )}
          </div>
          <h4>Gold set</h4>
          <p data-testid="manifest-gold">
            {m.gold_set.count} gold item{m.gold_set.count === 1 ? "" : "s"} · sha256{" "}
            <code title={m.gold_set.sha256}>{shortSha(m.gold_set.sha256)}</code>
          </p>
          <h4>Priority model</h4>
          <p data-testid="manifest-priority">
            {m.priority === null ? (
              <span className="muted">No priority run (import order).</span>
            ) : (
              <>
                {m.priority.model_version ? <>model <code>{m.priority.model_version}</code>, </> : "no model, "}
                strategy {m.priority.used_strategy}
                {m.priority.used_strategy !== m.priority.strategy && ` (asked for ${m.priority.strategy})`}
                {m.priority.activated_at && <span className="muted small"> · since {formatTime(m.priority.activated_at)}</span>}
              </>
            )}
          </p>
        </div>
        <div>
          <h4>Annotators</h4>
          {m.annotators.length === 0 ? (
            <p className="muted">No annotator answers in this export.</p>
          ) : (
            <table className="compact" data-testid="manifest-annotators">
              <thead>
                <tr>
                  <th scope="col">Annotator</th>
                  <th scope="col" className="num">Items</th>
                </tr>
              </thead>
              <tbody>
                {m.annotators.map((a) => (
                  <tr key={a.id} data-testid="manifest-annotator" data-user-id={a.id}>
                    <th scope="row">{a.username ?? `user ${a.id}`}</th>
                    <td className="num">{a.items}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <div>
          <h4>Benchmarks</h4>
          {m.benchmarks.length === 0 ? (
            <p className="muted">No benchmark figures.</p>
          ) : (
            <table className="compact" data-testid="manifest-benchmarks">
              <thead>
                <tr>
                  <th scope="col">Annotator</th>
                  <th scope="col">Status</th>
                  <th scope="col" className="num">Fixed</th>
                  <th scope="col">Accuracy</th>
                </tr>
              </thead>
              <tbody>
                {m.benchmarks.map((b) => (
                  <tr key={b.annotator_id} data-testid="manifest-benchmark" data-user-id={b.annotator_id}>
                    <th scope="row">{b.username}</th>
                    <td>
                      <span className={`status-badge ${b.status}`}>{b.status}</span>
                    </td>
                    <td className="num">
                      {b.correct}/{b.n}
                    </td>
                    <td>
                      <IntervalBar value={b.accuracy} low={b.n ? b.low : null} high={b.n ? b.high : null}
                        label={`${b.username} benchmark accuracy`} format={(v) => formatPct(v)} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      </div>
    </div>
  );
}

function Fact({ name, children }: { name: string; children: ReactNode }) {
  return (
    <div>
      <dt>{name}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function SmallStat({ name, value, testId }: { name: string; value: number; testId: string }) {
  return (
    <div className="stat small-stat">
      <dt>{name}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Imports

const FILE_ACCEPT: Record<ImportFormat, string> = {
  coco: ".json,.zip,application/json,application/zip",
  label_studio: ".json,.zip,application/json,application/zip",
  csv: ".csv,.txt,.zip,text/csv,application/zip",
  jsonl: ".jsonl,.ndjson,.json,.zip,application/zip",
  images: ".zip,image/png,image/jpeg,image/webp,image/gif,application/zip",
};
const IMAGE_ACCEPT = "image/png,image/jpeg,image/webp,image/gif";

function ImportsSection({ project, timing }: { project: Project; timing: Timing }) {
  const { me } = useAuth();
  const targets = importTargetsFor(project.role, me.is_staff);
  const formats = importFormatsFor(project.kind);
  const [format, setFormat] = useState<ImportFormat>(project.kind === "bbox" ? "coco" : "jsonl");
  const [target, setTarget] = useState<ImportTarget>("items");
  const [modelVersion, setModelVersion] = useState("");
  const [copyImages, setCopyImages] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [images, setImages] = useState<File[]>([]);
  const [inputsKey, setInputsKey] = useState(0);
  const [errors, setErrors] = useState<Partial<Record<ImportField, string[]>>>({});
  const [detail, setDetail] = useState<string | null>(null);
  const [phase, setPhase] = useState<JobPhase>({ step: "idle" });
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<number | null>(null);
  const unmountSignal = useUnmountSignal();
  const list = useAsync(() => exchange.imports(project.id, { limit: LIST_PAGE, offset }), [project.id, offset]);
  const reload = list.reload;
  const busyRows = (list.data?.results ?? []).some((i) => i.status === "pending" || i.status === "running");
  useRefreshWhile(busyRows, reload, list.data, timing.listRefreshMs);
  const running = phase.step === "uploading" || phase.step === "starting" || phase.step === "running";

  const clearError = useCallback((field: ImportField) => {
    setErrors((old) => {
      if (!old[field]) return old;
      const next = { ...old };
      delete next[field];
      return next;
    });
  }, []);

  const start = async (e: FormEvent) => {
    e.preventDefault();
    setDetail(null);
    const own = checkImport({ format, as: target, modelVersion, file, images }, targets);
    setErrors(placeImportErrors(own, images));
    if (Object.keys(own).length > 0) {
      setDetail("Some fields need attention; nothing was uploaded.");
      return;
    }
    const bytes = (file?.size ?? 0) + images.reduce((sum, i) => sum + i.size, 0);
    setPhase({ step: "uploading", bytes });
    try {
      const started = await exchange.startImport(project.id, {
        format,
        as: target,
        modelVersion: target === "predictions" ? modelVersion.trim() : undefined,
        copyImages: format !== "images" && copyImages,
        file,
        images,
      });
      setPhase({ step: "running", id: started.import_id, job: null });
      setFile(null);
      setImages([]);
      setInputsKey((k) => k + 1);
      setOffset(0);
      reload();
      const job = await jobs.wait(started.job_id, {
        intervalMs: timing.jobPollMs,
        signal: unmountSignal(),
        onProgress: (j) => setPhase({ step: "running", id: started.import_id, job: j }),
      });
      setPhase({ step: "finished", id: started.import_id, job });
      reload();
      // A rejected import opens its report: which rows, and why.
      if (job.status === "failed" || (isImportReport(job.result) && job.result.notes.length > 0)) {
        setSelected(started.import_id);
      }
    } catch (err) {
      if (isAbort(err)) return;
      setPhase({ step: "idle" });
      if (err instanceof ApiError) {
        const placed = placeImportErrors(err.body.errors, images);
        if (err.status === 413 && !placed.file && !placed.images) {
          placed.file = ["larger than the server accepts in one upload: split it into several imports"];
        }
        setErrors(placed);
        // A proxy's 413 page is HTML, not the API's JSON: say it plainly.
        setDetail(err.status === 413 && !err.body.errors ? "The upload is too large for the server." : err.message);
      } else {
        setDetail(errorMessage(err));
      }
    }
  };

  const describedBy = (field: ImportField, hint?: string) =>
    [hint, errors[field] ? `import-${field}-error` : ""].filter(Boolean).join(" ") || undefined;
  const fieldClass = (field: ImportField) => `field${errors[field] ? " invalid" : ""}`;

  return (
    <section className="card data-section" aria-labelledby="imports-title">
      <h2 id="imports-title">Imports</h2>
      <form className="data-form import-form" onSubmit={start} noValidate data-testid="import-form">
        <div className={fieldClass("format")}>
          <label htmlFor="import-format">Format</label>
          <select id="import-format" value={format} aria-invalid={errors.format ? true : undefined}
            aria-describedby={describedBy("format")} data-testid="import-format"
            onChange={(e) => {
              setFormat(e.target.value as ImportFormat);
              clearError("format");
            }}>
            {formats.map((f) => (
              <option key={f} value={f}>
                {FORMAT_LABELS[f]}
              </option>
            ))}
          </select>
          <FieldError id="import-format-error" messages={errors.format} testId="import-error-format" />
        </div>
        <div className={fieldClass("as")}>
          <label htmlFor="import-as">Import as</label>
          <select id="import-as" value={target} aria-invalid={errors.as ? true : undefined}
            aria-describedby={describedBy("as")} data-testid="import-as"
            onChange={(e) => {
              setTarget(e.target.value as ImportTarget);
              clearError("as");
              clearError("model_version");
            }}>
            {targets.map((t) => (
              <option key={t} value={t}>
                {TARGET_LABELS[t]}
              </option>
            ))}
          </select>
          <FieldError id="import-as-error" messages={errors.as} testId="import-error-as" />
        </div>
        {target === "predictions" && (
          <div className={fieldClass("model_version")}>
            <label htmlFor="import-model-version">Model version</label>
            <input id="import-model-version" type="text" value={modelVersion} maxLength={100} required
              aria-invalid={errors.model_version ? true : undefined}
              aria-describedby={describedBy("model_version", "import-model-version-hint")}
              data-testid="import-model-version"
              onChange={(e) => {
                setModelVersion(e.target.value);
                clearError("model_version");
              }} />
            <small id="import-model-version-hint" className="muted">
              Required: names the model that made these predictions (e.g. detector-v3).
            </small>
            <FieldError id="import-model_version-error" messages={errors.model_version}
              testId="import-error-model_version" />
          </div>
        )}
        <div className={fieldClass("file")}>
          <label htmlFor="import-file">{format === "images" ? "Zip of images" : "Annotation file or zip"}</label>
          <input key={`file-${inputsKey}`} id="import-file" type="file" accept={FILE_ACCEPT[format]}
            aria-invalid={errors.file ? true : undefined} aria-describedby={describedBy("file", "import-file-hint")}
            data-testid="import-file"
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              clearError("file");
            }} />
          <small id="import-file-hint" className="muted">
            {format === "images"
              ? "Optional when images are chosen below."
              : "A zip may hold one annotation file and the images it names."}
            {file && ` Chosen: ${file.name} (${formatBytes(file.size)}).`}
          </small>
          <FieldError id="import-file-error" messages={errors.file} testId="import-error-file" />
        </div>
        <div className={fieldClass("images")}>
          <label htmlFor="import-images">{format === "images" ? "Images" : "Images (optional)"}</label>
          <input key={`images-${inputsKey}`} id="import-images" type="file" multiple accept={IMAGE_ACCEPT}
            aria-invalid={errors.images ? true : undefined} aria-describedby={describedBy("images", "import-images-hint")}
            data-testid="import-images"
            onChange={(e) => {
              setImages(Array.from(e.target.files ?? []));
              clearError("images");
            }} />
          <small id="import-images-hint" className="muted">
            PNG, JPEG, WebP or GIF files named as the annotation file names them.
            {images.length > 0 &&
              ` Chosen: ${images.length} image${images.length === 1 ? "" : "s"} (${formatBytes(images.reduce((s, i) => s + i.size, 0))}).`}
          </small>
          <FieldError id="import-images-error" messages={errors.images} testId="import-error-images" />
        </div>
        {format !== "images" && (
          <label className="check">
            <input type="checkbox" checked={copyImages} onChange={(e) => setCopyImages(e.target.checked)}
              data-testid="import-copy-images" />
            Download images given by URL and serve them from here
          </label>
        )}
        <FieldError id="import-copy_images-error" messages={errors.copy_images} testId="import-error-copy_images" />
        <button type="submit" className="primary" disabled={running} data-testid="import-start">
          {running ? "Importing…" : "Upload and import"}
        </button>
      </form>
      {detail && (
        <p className="error" role="alert" data-testid="import-error">
          {detail}
        </p>
      )}
      <FieldError id="import-other-error" messages={errors.other} testId="import-error-other" />
      <JobLine phase={phase} noun="Import" testId="import-job" />

      {list.error && <p className="error">{list.error}</p>}
      {list.data && list.data.results.length === 0 && (
        <p className="muted" data-testid="imports-empty">
          No imports yet.
        </p>
      )}
      {list.data && list.data.results.length > 0 && (
        <div className="table-wrap">
          <table className="compact data-table" data-testid="imports-table">
            <thead>
              <tr>
                <th scope="col">Import</th>
                <th scope="col">Format</th>
                <th scope="col">As</th>
                <th scope="col">Files</th>
                <th scope="col" className="num">Size</th>
                <th scope="col">Status</th>
                <th scope="col">Result</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.results.map((i) => (
                <ImportRow key={i.id} record={i} selected={selected === i.id}
                  onOpen={() => setSelected(selected === i.id ? null : i.id)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={list.data} offset={offset} setOffset={setOffset} prefix="imports" />
      {selected !== null && (
        <ImportReportPanel importId={selected} listed={list.data?.results.find((i) => i.id === selected) ?? null}
          onClose={() => setSelected(null)} />
      )}
    </section>
  );
}

function importResult(record: ImportRecord): string {
  const r = record.report;
  if (!isImportReport(r)) return record.status === "failed" ? "failed before reading the file" : "—";
  if (record.status === "rejected") return `${r.rejected_total} problem${r.rejected_total === 1 ? "" : "s"}; nothing imported`;
  const parts = [`${r.created} created`];
  if (r.gold) parts.push(`${r.gold} gold`);
  if (r.predictions) parts.push(`${r.predictions} predictions`);
  if (r.existing_items) parts.push(`${r.existing_items} existing`);
  return parts.join(", ");
}

function ImportRow({ record: i, selected, onOpen }: { record: ImportRecord; selected: boolean; onOpen: () => void }) {
  return (
    <tr className={selected ? "selected" : undefined} data-testid="import-row" data-import-id={i.id} data-status={i.status}>
      <th scope="row">
        <button type="button" className="link" onClick={onOpen} aria-expanded={selected} data-testid="import-open"
          title="Show the report">
          #{i.id}
        </button>
      </th>
      <td>{FORMAT_LABELS[i.format] ?? i.format}</td>
      <td>
        {i.as}
        {i.model_version && <span className="muted small"> ({i.model_version})</span>}
      </td>
      <td className="small">
        {i.files.length === 0
          ? "—"
          : i.files.length <= 2
            ? i.files.map((f) => f.name).join(", ")
            : `${i.files[0].name} and ${i.files.length - 1} more`}
      </td>
      <td className="num" title={`${i.size_bytes} bytes`}>{formatBytes(i.size_bytes)}</td>
      <td>
        <StatusBadge status={i.status} testId="import-row-status" />
      </td>
      <td className="small" data-testid="import-result">{importResult(i)}</td>
      <td className="small" title={i.created_at}>{formatTime(i.created_at)}</td>
    </tr>
  );
}

function ImportReportPanel({ importId, listed, onClose }: { importId: number; listed: ImportRecord | null; onClose: () => void }) {
  // The list's row when it is on the page shown (it refreshes with the list), else the import itself.
  const fetched = useAsync(() => (listed ? Promise.resolve(null) : exchange.import(importId)), [importId, listed === null]);
  const record = listed ?? fetched.data;
  // An import that failed outright (not rejected: the broker was down, say) has only its job's message.
  const failedOutright = record?.status === "failed" && !isImportReport(record.report);
  const job = useAsync(() => (failedOutright && record ? jobs.get(record.job_id) : Promise.resolve(null)), [
    failedOutright,
    record?.job_id,
  ]);
  const report: ImportReport | null = record && isImportReport(record.report) ? record.report : null;
  return (
    <section className="import-report" aria-labelledby="import-report-title" data-testid="import-report"
      data-import-id={importId} data-status={record?.status}>
      <div className="card-head">
        <h3 id="import-report-title">Import #{importId}</h3>
        <button type="button" onClick={onClose} data-testid="import-report-close">
          Close
        </button>
      </div>
      {fetched.error && <p className="error">{fetched.error}</p>}
      {!record && !fetched.error && <p className="muted">Loading…</p>}
      {record && !report && !failedOutright && (
        <p className="muted">The import is {record.status}; its report is written when it finishes.</p>
      )}
      {failedOutright && (
        <p className="error" data-testid="import-failure">
          The import failed{job.data?.message ? `: ${job.data.message}` : "."}
        </p>
      )}
      {record && report && (
        <>
          <p data-testid="import-summary">
            {record.status === "rejected" ? (
              <strong className="error-text">
                Rejected: <span data-testid="import-rejected-total">{report.rejected_total}</span> problem
                {report.rejected_total === 1 ? "" : "s"} found, nothing was imported.
              </strong>
            ) : (
              <>
                <strong className="ok-text">Imported</strong>: <span data-testid="import-created">{report.created}</span>{" "}
                item{report.created === 1 ? "" : "s"} created
                {report.gold !== undefined && `, ${report.gold} gold`}
                {report.predictions !== undefined && `, ${report.predictions} predictions`}
                {report.existing_items !== undefined && `, ${report.existing_items} existing items matched`}.
              </>
            )}
          </p>
          {report.rejected.length > 0 && (
            <>
              {report.rejected_total > report.rejected.length && (
                <p className="muted small">
                  The first {report.rejected.length} of {report.rejected_total} problems:
                </p>
              )}
              <table className="compact" data-testid="import-rejected">
                <thead>
                  <tr>
                    <th scope="col">Where</th>
                    <th scope="col">Problem</th>
                  </tr>
                </thead>
                <tbody>
                  {report.rejected.map((r, index) => (
                    <tr key={`${r.row}-${index}`} data-testid="import-rejected-row" data-row={r.row}>
                      <th scope="row">
                        <code>{r.row}</code>
                      </th>
                      <td>{r.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          {report.notes.length > 0 && (
            <>
              <h4>Notes</h4>
              <ul className="notes">
                {report.notes.map((n) => (
                  <li key={n} data-testid="import-note">
                    {n}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
      {record && (
        <p className="muted small">
          {record.files.map((f) => `${f.name} (${f.role}, ${formatBytes(f.size)})`).join(" · ")}
          {record.finished_at && ` · finished ${formatTime(record.finished_at)}`}
        </p>
      )}
    </section>
  );
}
