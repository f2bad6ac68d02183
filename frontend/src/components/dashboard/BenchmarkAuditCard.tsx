// The dashboard's benchmark audit: can anything an annotator's client sees tell benchmarks from work?
import { useState } from "react";
import { errorMessage, manager } from "../../api";
import type { BenchmarkAudit, BenchmarkAuditBody } from "../../api/types";
import { formatTime } from "../../manager/format";
import { useAsync } from "../../useAsync";
import { TableHead } from "../DataTable";

/** Above this AUC benchmarks are told apart well enough to matter (the alert rule's default threshold). */
export const AUDIT_WARN_AUC = 0.6;

export function BenchmarkAuditCard({ projectId }: { projectId: number }) {
  const latest = useAsync<BenchmarkAuditBody>(() => manager.benchmarkAudit(projectId), [projectId]);
  const [running, setRunning] = useState<string | null>(null);
  const [fresh, setFresh] = useState<BenchmarkAudit | null>(null);
  const audit = fresh ?? latest.data?.audit ?? null;
  const run = async () => {
    setRunning("Auditing…");
    try {
      const body = await manager.runBenchmarkAudit(projectId);
      setFresh(body.audit);
      setRunning(null);
    } catch (err) {
      setRunning(errorMessage(err));
    }
  };
  return (
    <section className="card" aria-labelledby="audit-title" data-testid="dashboard-audit">
      <div className="card-head">
        <h2 id="audit-title">Benchmark audit</h2>
        <button type="button" onClick={() => void run()} disabled={running === "Auditing…"} data-testid="audit-run">
          Audit now
        </button>
      </div>
      {running && <p className="muted small" role="status">{running}</p>}
      {latest.error && <p className="muted">Not available: {latest.error}</p>}
      {latest.data && !audit && <p className="muted" data-testid="audit-empty">No audit yet.</p>}
      {audit && <AuditView audit={audit} />}
    </section>
  );
}

function AuditView({ audit }: { audit: BenchmarkAudit }) {
  if (audit.auc === null) {
    return (
      <p className="muted" data-testid="audit-reason">
        No verdict over {audit.n_tasks} tasks: {audit.reason}.
      </p>
    );
  }
  const telling = audit.auc > AUDIT_WARN_AUC;
  return (
    <>
      <p data-testid="audit-auc">
        ROC AUC <strong className={telling ? "error" : undefined}>{audit.auc.toFixed(2)}</strong>
        {audit.low !== null && audit.high !== null && (
          <span className="muted"> (95% interval {audit.low.toFixed(2)} to {audit.high.toFixed(2)})</span>
        )}
        {" over "}
        {audit.n_tasks} served tasks, {audit.n_benchmarks} benchmarks
        <span className="muted"> · {formatTime(audit.computed_at)}</span>
      </p>
      <p className="muted small" data-testid="audit-verdict">
        {telling
          ? "A client can tell benchmarks from work: scores built on them are weak evidence."
          : "0.5 means no client can tell benchmarks from work."}
      </p>
      <table className="compact">
        <TableHead columns={["Most telling features", "AUC alone", "On benchmarks"]} />
        <tbody>
          {audit.features.slice(0, 5).map((f) => (
            <tr key={f.name} data-testid="audit-feature">
              <td>{f.name.replace(/_/g, " ")}</td>
              <td className="num">{f.auc.toFixed(2)}</td>
              <td>{f.higher_on_benchmarks ? "higher" : "lower"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
