// An import's report: what it created, or the rows it rejected and why; for an import that failed outright, the
// job's message.
import { exchange, jobs } from "../../api";
import { isImportReport, type ImportRecord, type ImportReport } from "../../api/types";
import { formatBytes, formatTime } from "../../manager/format";
import { useAsync } from "../../useAsync";
import { TableHead } from "../DataTable";
import { PanelHead } from "../PanelHead";

export function ImportReportPanel({ importId, listed, onClose }: { importId: number; listed: ImportRecord | null; onClose: () => void }) {
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
      <PanelHead titleId="import-report-title" title={`Import #${importId}`} button="Close" onClick={onClose}
        buttonTestId="import-report-close" />
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
      {record && report && <ReportBody rejected={record.status === "rejected"} report={report} />}
      {record && (
        <p className="muted small">
          {record.files.map((f) => `${f.name} (${f.role}, ${formatBytes(f.size)})`).join(" · ")}
          {record.finished_at && ` · finished ${formatTime(record.finished_at)}`}
        </p>
      )}
    </section>
  );
}

function ReportBody({ rejected, report }: { rejected: boolean; report: ImportReport }) {
  return (
    <>
      <p data-testid="import-summary">
        {rejected ? (
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
            <TableHead columns={["Where", "Problem"]} />
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
  );
}
