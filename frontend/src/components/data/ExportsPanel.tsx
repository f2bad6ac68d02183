// Exports: the form that starts one (format and what to include), its job, the list, and the open manifest.
import { useState, type FormEvent } from "react";
import { ApiError, errorMessage, exchange } from "../../api";
import type { ExportFormat, Project } from "../../api/types";
import { exportFormatsFor, FORMAT_LABELS, type FieldErrors } from "../../manager/exchange";
import { ListOrEmpty } from "../DataTable";
import { Field, FieldErrorList, fieldAria } from "../FormField";
import { JobLine } from "../JobLine";
import { ErrorNote } from "../Layout";
import { OffsetPager } from "../Pager";
import { ExportsTable } from "./ExportsTable";
import { ManifestPanel } from "./ManifestPanel";
import { isAbort, LIST_PAGE, useJobList, useJobRun, type Timing } from "./useJobs";

/** The server's fields the form shows errors next to; the rest are listed under it. */
const FORM_FIELDS = new Set(["format", "include_raw", "include_gold"]);

export function ExportsPanel({ project, timing }: { project: Project; timing: Timing }) {
  const [format, setFormat] = useState<ExportFormat>(project.kind === "bbox" ? "coco" : "jsonl");
  const [includeRaw, setIncludeRaw] = useState(false);
  const [includeGold, setIncludeGold] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [detail, setDetail] = useState<string | null>(null);
  const run = useJobRun(timing.jobPollMs);
  const { list, offset, setOffset, selected, setSelected, toggle } = useJobList(
    project.id,
    (page) => exchange.exports(project.id, page),
    timing.listRefreshMs,
  );

  const start = async (e: FormEvent) => {
    e.preventDefault();
    setErrors({});
    setDetail(null);
    run.setPhase({ step: "starting" });
    try {
      const started = await exchange.startExport(project.id, {
        format,
        include_raw: includeRaw,
        include_gold: includeGold,
      });
      setOffset(0);
      list.reload();
      const job = await run.follow(started.export_id, started.job_id);
      list.reload();
      if (job.status === "succeeded") setSelected(started.export_id);
    } catch (err) {
      if (isAbort(err)) return;
      run.setPhase({ step: "idle" });
      if (err instanceof ApiError) setErrors(err.body.errors ?? {});
      setDetail(errorMessage(err));
    }
  };

  const other = Object.entries(errors).filter(([k]) => !FORM_FIELDS.has(k));
  return (
    <section className="card data-section" aria-labelledby="exports-title">
      <h2 id="exports-title">Exports</h2>
      <form className="data-form" onSubmit={start} noValidate data-testid="export-form">
        <Field htmlFor="export-format" label="Format" errors={errors.format} errorId="export-format-error"
          errorTestId="export-error-format">
          <select id="export-format" value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}
            {...fieldAria(errors.format, "export-format-error")} data-testid="export-format">
            {exportFormatsFor(project.kind).map((f) => (
              <option key={f} value={f}>
                {FORMAT_LABELS[f]}
              </option>
            ))}
          </select>
        </Field>
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
        <button type="submit" className="primary" disabled={run.running} data-testid="export-start">
          {run.running ? "Exporting…" : "Start export"}
        </button>
      </form>
      <ErrorNote error={detail} testId="export-error" />
      <FieldErrorList id="export-error-other" testId="export-error-other"
        messages={other.flatMap(([k, ms]) => ms.map((m) => (k ? `${k}: ${m}` : m)))} />
      <JobLine phase={run.phase} noun="Export" testId="export-job" />

      <ListOrEmpty rows={list.data?.results ?? null} error={list.error} empty="No exports yet." emptyTestId="exports-empty">
        {(rows) => <ExportsTable rows={rows} selected={selected} onOpen={toggle} />}
      </ListOrEmpty>
      <OffsetPager data={list.data} offset={offset} limit={LIST_PAGE} onOffset={setOffset} testIdPrefix="exports" />
      {selected !== null && <ManifestPanel exportId={selected} onClose={() => setSelected(null)} />}
    </section>
  );
}
