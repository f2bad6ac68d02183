import { manager, projects } from "../api";
import type { AgreementReport, Alert, IntervalEstimate } from "../api/types";
import { IntervalBar } from "../components/IntervalBar";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

export function DashboardPage({ projectId }: { projectId: number }) {
  return (
    <ManagerPage projectId={projectId} tab="dashboard">
      {() => (
        <div className="dashboard" data-testid="dashboard">
          <ProgressCard projectId={projectId} />
          <AgreementCard projectId={projectId} />
          <AlertsCard projectId={projectId} />
        </div>
      )}
    </ManagerPage>
  );
}

function ProgressCard({ projectId }: { projectId: number }) {
  const progress = useAsync(() => projects.progress(projectId), [projectId]);
  const p = progress.data;
  return (
    <section className="card" aria-labelledby="progress-title" data-testid="dashboard-progress">
      <h2 id="progress-title">Progress</h2>
      {progress.error && <p className="error">{progress.error}</p>}
      {p && (
        <>
          <dl className="stats">
            <Stat name="Items" value={p.items} testId="progress-items" />
            <Stat name="Gold items" value={p.gold_items} testId="progress-gold" />
            <Stat name="Annotations submitted" value={p.submitted_annotations} testId="progress-submitted" />
            <Stat name="Annotations required" value={p.required_annotations} testId="progress-required" />
            <Stat name="Remaining in queue" value={p.remaining} testId="progress-remaining" />
          </dl>
          <div className="meter" aria-hidden>
            <div
              className="meter-fill"
              style={{
                width: `${p.required_annotations ? Math.min(100, (100 * p.submitted_annotations) / p.required_annotations) : 0}%`,
              }}
            />
          </div>
        </>
      )}
    </section>
  );
}

function Stat({ name, value, testId }: { name: string; value: number | string; testId: string }) {
  return (
    <div className="stat">
      <dt>{name}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

/** Reads an estimate the report gives either as a number or as {value|alpha, low, high, reason}. */
export function readEstimate(raw: unknown): IntervalEstimate {
  if (typeof raw === "number") return { value: raw };
  if (raw && typeof raw === "object") {
    const o = raw as Record<string, unknown>;
    const value = [o.value, o.alpha, o.kappa, o.f1].find((v) => typeof v === "number") as number | undefined;
    return {
      value: value ?? null,
      low: typeof o.low === "number" ? o.low : null,
      high: typeof o.high === "number" ? o.high : null,
      reason: typeof o.reason === "string" ? o.reason : null,
    };
  }
  return { value: null };
}

function AgreementCard({ projectId }: { projectId: number }) {
  const report = useAsync<AgreementReport>(() => manager.agreement(projectId), [projectId]);
  const r = report.data;
  const alpha = r ? readEstimate(r.alpha) : null;
  return (
    <section className="card" aria-labelledby="agreement-title" data-testid="dashboard-agreement">
      <h2 id="agreement-title">Agreement (Krippendorff's alpha)</h2>
      {report.error && <p className="muted">Not available: {report.error}</p>}
      {r && alpha && (
        <>
          <p className="big-number" data-testid="agreement-alpha">
            {alpha.value === null ? "undefined" : alpha.value.toFixed(3)}
            {alpha.low !== null && alpha.low !== undefined && alpha.high !== null && alpha.high !== undefined && (
              <span className="muted small">
                {" "}
                95% interval {alpha.low.toFixed(3)} – {alpha.high.toFixed(3)}
              </span>
            )}
          </p>
          {alpha.value !== null && <IntervalBar value={alpha.value} low={alpha.low} high={alpha.high} width={220} label="alpha" />}
          {alpha.reason && <p className="muted">{alpha.reason}</p>}
          {r.computed_at && <p className="muted small">Computed {new Date(r.computed_at).toLocaleString()}</p>}
          <h3>Per label</h3>
          <table className="compact" data-testid="agreement-per-label">
            <thead>
              <tr>
                <th scope="col">Label</th>
                <th scope="col">Agreement</th>
                <th scope="col">Interval</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(r.per_label ?? {}).map(([label, raw]) => {
                const e = readEstimate(raw);
                return (
                  <tr key={label} data-testid="agreement-label-row" data-label={label}>
                    <th scope="row">{label}</th>
                    <td>{e.value === null ? (e.reason ?? "—") : e.value.toFixed(3)}</td>
                    <td>
                      {e.value !== null && e.low !== null && e.low !== undefined ? (
                        <IntervalBar value={e.value} low={e.low} high={e.high} label={label} />
                      ) : (
                        "—"
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function AlertsCard({ projectId }: { projectId: number }) {
  const alerts = useAsync<Alert[]>(() => manager.alerts(projectId), [projectId]);
  return (
    <section className="card" aria-labelledby="alerts-title" data-testid="dashboard-alerts">
      <h2 id="alerts-title">Alerts</h2>
      {alerts.error && <p className="muted">Not available: {alerts.error}</p>}
      {alerts.data && alerts.data.length === 0 && <p className="muted">No alerts.</p>}
      <ul className="alerts-list" data-testid="alerts-list">
        {alerts.data?.map((a, i) => (
          <li key={String(a.id ?? i)} className={`alert ${a.severity ?? ""}`} data-testid="alert-item">
            <strong>{a.kind ?? a.code ?? "alert"}</strong> {a.message ?? describeAlert(a)}
            {a.created_at && <span className="muted small"> · {new Date(a.created_at).toLocaleString()}</span>}
          </li>
        ))}
      </ul>
    </section>
  );
}

function describeAlert(alert: Alert): string {
  const rest = Object.entries(alert).filter(([k]) => !["id", "kind", "code", "severity", "created_at"].includes(k));
  return rest.map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ");
}
