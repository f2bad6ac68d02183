// Bucket sources (managers): the project's bucket prefixes whose images become items, the form that connects one,
// and the syncs started from here. A sync lists the keys after the source's cursor; a full rescan lists the whole
// prefix, so it also finds keys added since that sort before the cursor (frames/a.png added after frames/z.png
// was synced), and creates only what is missing. Every Nth sync is a full rescan by itself (the server's
// AQC_SOURCE_FULL_RESCAN_EVERY).
import { useState, type FormEvent } from "react";
import { ApiError, errorMessage, exchange, jobs } from "../../api";
import { isSourceSyncReport, type BucketSource, type Project, type SourceSyncReport } from "../../api/types";
import type { FieldErrors } from "../../manager/exchange";
import { useAsync } from "../../useAsync";
import { ListOrEmpty } from "../DataTable";
import { Field, FieldErrorList, fieldAria } from "../FormField";
import { JobLine } from "../JobLine";
import { ErrorNote } from "../Layout";
import { OffsetPager } from "../Pager";
import { Stat } from "../Stat";
import { isAbort, LIST_PAGE, useJobRun, type Timing } from "./useJobs";

/** Rejected keys shown under a sync's counts (the report keeps up to 1,000, the total is always given). */
const REJECTED_SHOWN = 20;

const FIELDS = [
  ["name", "Name", "text"],
  ["bucket", "Bucket", "text"],
  ["prefix", "Prefix", "text"],
  ["endpoint_url", "Endpoint URL (empty for AWS S3)", "url"],
  ["region", "Region", "text"],
  ["access_key_id", "Access key id", "text"],
  ["secret_access_key", "Secret access key (stored sealed, never shown again)", "password"],
  ["pattern", "File pattern (default *.png *.jpg *.jpeg *.webp *.gif)", "text"],
  ["annotation_file", "Annotation file in the bucket (COCO .json, .jsonl or .csv): gold answers", "text"],
] as const;

type SourceField = (typeof FIELDS)[number][0];
type SourceForm = Record<SourceField, string>;

const EMPTY_FORM: SourceForm = Object.fromEntries(FIELDS.map(([name]) => [name, ""])) as SourceForm;
const FORM_FIELDS = new Set<string>(FIELDS.map(([name]) => name));

export function SourcesPanel({ project, timing }: { project: Project; timing: Timing }) {
  const [offset, setOffset] = useState(0);
  const list = useAsync(() => exchange.sources(project.id, { limit: LIST_PAGE, offset }), [project.id, offset]);
  const run = useJobRun(timing.jobPollMs);
  const [detail, setDetail] = useState<string | null>(null);
  const [report, setReport] = useState<{ source: BucketSource; report: SourceSyncReport } | null>(null);
  const [adding, setAdding] = useState(false);

  const start = async (source: BucketSource, full: boolean) => {
    setDetail(null);
    setReport(null);
    run.setPhase({ step: "starting" });
    try {
      const started = await exchange.startSync(source.id, full);
      const job = await run.follow(started.sync_id, started.job_id);
      list.reload();
      if (isSourceSyncReport(job.result)) setReport({ source, report: job.result });
    } catch (err) {
      if (isAbort(err)) return;
      run.setPhase({ step: "idle" });
      setDetail(errorMessage(err));
    }
  };

  return (
    <section className="card data-section" aria-labelledby="sources-title" data-testid="sources-panel">
      <h2 id="sources-title">Bucket sources</h2>
      <p className="muted small">
        A sync creates items from the keys added after the last one it saw. A full rescan lists the whole prefix and
        creates only what is missing: it also finds keys added since that sort before that point.
      </p>
      <ListOrEmpty rows={list.data?.results ?? null} error={list.error} empty="No bucket sources yet."
        emptyTestId="sources-empty">
        {(rows) => (
          <table className="compact" data-testid="sources-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Bucket and prefix</th>
                <th scope="col">Synced up to</th>
                <th scope="col">Last sync</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((source) => (
                <tr key={source.id} data-testid="source-row" data-source-id={source.id}>
                  <td>{source.name}</td>
                  <td>
                    <code>
                      {source.bucket}/{source.prefix}
                    </code>
                  </td>
                  <td>{source.cursor ? <code>{source.cursor}</code> : <span className="muted">never synced</span>}</td>
                  <td data-testid="source-last-sync">
                    {source.last_sync_job_id === null ? (
                      <span className="muted">none</span>
                    ) : (
                      <LastSync jobId={source.last_sync_job_id} />
                    )}
                  </td>
                  <td className="actions">
                    <button type="button" disabled={run.running} onClick={() => void start(source, false)}
                      data-testid="source-sync" aria-label={`Sync ${source.name}`}>
                      Sync
                    </button>{" "}
                    <button type="button" disabled={run.running} onClick={() => void start(source, true)}
                      data-testid="source-rescan" aria-label={`Full rescan of ${source.name}`}
                      title="List every key of the prefix, not only those after the last one synced">
                      Full rescan
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListOrEmpty>
      <OffsetPager data={list.data} offset={offset} limit={LIST_PAGE} onOffset={setOffset} testIdPrefix="sources" />
      <ErrorNote error={detail} testId="source-sync-error" />
      <JobLine phase={run.phase} noun="Sync" testId="source-sync-job" />
      {report && <SyncReportPanel name={report.source.name} report={report.report} />}
      {adding ? (
        <SourceCreateForm
          projectId={project.id}
          onCreated={() => {
            setAdding(false);
            setOffset(0);
            list.reload();
          }}
          onCancel={() => setAdding(false)}
        />
      ) : (
        <button type="button" onClick={() => setAdding(true)} data-testid="source-add">
          Connect a bucket…
        </button>
      )}
    </section>
  );
}

/** The latest sync of a source, read from its job. */
function LastSync({ jobId }: { jobId: number }) {
  const job = useAsync(() => jobs.get(jobId), [jobId]);
  if (job.error) return <span className="muted">job #{jobId}</span>;
  if (!job.data) return <span className="muted">…</span>;
  const { status, result, message } = job.data;
  if (status === "failed") return <span className="error-text" title={message}>failed: {message}</span>;
  if (status !== "succeeded" || !isSourceSyncReport(result)) return <span>{status}</span>;
  return <span title={message}>{summary(result)}</span>;
}

function summary(report: SourceSyncReport): string {
  const kind = report.full ? "full rescan" : "sync";
  const behind = report.full ? ` (${report.behind_cursor} before the cursor)` : "";
  return `${kind}: ${report.created} new${behind}, ${report.rejected_total} rejected`;
}

function SyncReportPanel({ name, report }: { name: string; report: SourceSyncReport }) {
  const rows: [string, number, string][] = [
    ["listed", report.listed, "Keys listed"],
    ["created", report.created, "Items created"],
    ["already", report.already_synced, "Already synced"],
    ["updated", report.updated, "Changed objects updated"],
    ["rejected", report.rejected_total, "Rejected"],
  ];
  if (report.full) rows.splice(2, 0, ["behind", report.behind_cursor, "Of them before the cursor"]);
  return (
    <div className="source-report" data-testid="source-sync-report" data-full={report.full}>
      <h3>
        {report.full ? "Full rescan" : "Sync"} of {name}
      </h3>
      <dl className="stats">
        {rows.map(([key, value, label]) => (
          <Stat small key={key} name={label} value={value} testId={`source-report-${key}`} />
        ))}
      </dl>
      {report.rejected.length > 0 && (
        <ul className="small" data-testid="source-report-rejected-keys">
          {report.rejected.slice(0, REJECTED_SHOWN).map((r) => (
            <li key={r.key}>
              <code>{r.key}</code>: {r.reason}
            </li>
          ))}
          {report.rejected_total > REJECTED_SHOWN && <li className="muted">and {report.rejected_total - REJECTED_SHOWN} more</li>}
        </ul>
      )}
    </div>
  );
}

function SourceCreateForm({
  projectId,
  onCreated,
  onCancel,
}: {
  projectId: number;
  onCreated: (source: BucketSource) => void;
  onCancel: () => void;
}) {
  const [values, setValues] = useState<SourceForm>(EMPTY_FORM);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [detail, setDetail] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setDetail(null);
    setBusy(true);
    try {
      const body = Object.fromEntries(Object.entries(values).filter(([, v]) => v.trim() !== ""));
      onCreated(await exchange.createSource(projectId, body));
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.body.errors ?? {});
      setDetail(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const other = Object.entries(errors).filter(([k]) => !FORM_FIELDS.has(k));
  return (
    <form className="data-form" onSubmit={submit} noValidate data-testid="source-form">
      {FIELDS.map(([name, label, type]) => (
        <Field key={name} htmlFor={`source-${name}`} label={label} errors={errors[name]}
          errorId={`source-${name}-error`} errorTestId={`source-error-${name}`}>
          <input id={`source-${name}`} type={type} value={values[name]} autoComplete="off"
            onChange={(e) => setValues({ ...values, [name]: e.target.value })}
            {...fieldAria(errors[name], `source-${name}-error`)} data-testid={`source-${name}`} />
        </Field>
      ))}
      <button type="submit" className="primary" disabled={busy} data-testid="source-create">
        {busy ? "Connecting…" : "Connect"}
      </button>{" "}
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <ErrorNote error={detail} testId="source-create-error" />
      <FieldErrorList id="source-error-other" testId="source-error-other"
        messages={other.flatMap(([k, ms]) => ms.map((m) => (k ? `${k}: ${m}` : m)))} />
    </form>
  );
}
