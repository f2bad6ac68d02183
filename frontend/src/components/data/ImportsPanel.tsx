// Imports: the upload form, the job it starts, the list, and the open import's report.
import { useCallback, useState, type FormEvent } from "react";
import { ApiError, errorMessage, exchange } from "../../api";
import { isImportReport, type Project } from "../../api/types";
import { useAuth } from "../../auth";
import {
  checkImport,
  importTargetsFor,
  placeImportErrors,
  type ImportField,
  type ImportFormValues,
} from "../../manager/exchange";
import { ListOrEmpty } from "../DataTable";
import { FieldErrorList } from "../FormField";
import { JobLine } from "../JobLine";
import { ErrorNote } from "../Layout";
import { OffsetPager } from "../Pager";
import { ImportForm, type ImportErrors } from "./ImportForm";
import { ImportReportPanel } from "./ImportReportPanel";
import { ImportsTable } from "./ImportsTable";
import { isAbort, LIST_PAGE, useJobList, useJobRun, type Timing } from "./useJobs";

export function ImportsPanel({ project, timing }: { project: Project; timing: Timing }) {
  const { me } = useAuth();
  const targets = importTargetsFor(project.role, me.is_staff);
  const [values, setValues] = useState<ImportFormValues>({
    format: project.kind === "bbox" ? "coco" : "jsonl",
    as: "items",
    modelVersion: "",
    copyImages: false,
    file: null,
    images: [],
  });
  const [inputsKey, setInputsKey] = useState(0);
  const [errors, setErrors] = useState<ImportErrors>({});
  const [detail, setDetail] = useState<string | null>(null);
  const run = useJobRun(timing.jobPollMs);
  const { list, offset, setOffset, selected, setSelected, toggle } = useJobList(
    project.id,
    (page) => exchange.imports(project.id, page),
    timing.listRefreshMs,
  );

  const change = useCallback((patch: Partial<ImportFormValues>, ...clears: ImportField[]) => {
    setValues((old) => ({ ...old, ...patch }));
    setErrors((old) => {
      if (!clears.some((field) => old[field])) return old;
      const next = { ...old };
      for (const field of clears) delete next[field];
      return next;
    });
  }, []);

  const start = async (e: FormEvent) => {
    e.preventDefault();
    setDetail(null);
    const { format, as, modelVersion, copyImages, file, images } = values;
    const own = checkImport(values, targets);
    setErrors(placeImportErrors(own, images));
    if (Object.keys(own).length > 0) {
      setDetail("Some fields need attention; nothing was uploaded.");
      return;
    }
    const bytes = (file?.size ?? 0) + images.reduce((sum, i) => sum + i.size, 0);
    run.setPhase({ step: "uploading", bytes });
    try {
      const started = await exchange.startImport(project.id, {
        format,
        as,
        modelVersion: as === "predictions" ? modelVersion.trim() : undefined,
        copyImages: format !== "images" && copyImages,
        file,
        images,
      });
      setValues((old) => ({ ...old, file: null, images: [] }));
      setInputsKey((k) => k + 1);
      setOffset(0);
      list.reload();
      const job = await run.follow(started.import_id, started.job_id);
      list.reload();
      // A rejected import opens its report: which rows, and why.
      if (job.status === "failed" || (isImportReport(job.result) && job.result.notes.length > 0)) {
        setSelected(started.import_id);
      }
    } catch (err) {
      if (isAbort(err)) return;
      run.setPhase({ step: "idle" });
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

  return (
    <section className="card data-section" aria-labelledby="imports-title">
      <h2 id="imports-title">Imports</h2>
      <ImportForm kind={project.kind} targets={targets} values={values} errors={errors} onChange={change}
        inputsKey={inputsKey} running={run.running} onSubmit={start} />
      <ErrorNote error={detail} testId="import-error" />
      <FieldErrorList id="import-other-error" messages={errors.other} testId="import-error-other" />
      <JobLine phase={run.phase} noun="Import" testId="import-job" />

      <ListOrEmpty rows={list.data?.results ?? null} error={list.error} empty="No imports yet." emptyTestId="imports-empty">
        {(rows) => <ImportsTable rows={rows} selected={selected} onOpen={toggle} />}
      </ListOrEmpty>
      <OffsetPager data={list.data} offset={offset} limit={LIST_PAGE} onOffset={setOffset} testIdPrefix="imports" />
      {selected !== null && (
        <ImportReportPanel importId={selected} listed={list.data?.results.find((i) => i.id === selected) ?? null}
          onClose={() => setSelected(null)} />
      )}
    </section>
  );
}
