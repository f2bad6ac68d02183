// The dashboard's alerts: the open ones (with Acknowledge) and the latest resolved ones.
import { manager } from "../../api";
import type { Alert } from "../../api/types";
import { formatTime } from "../../manager/format";
import { useAsync } from "../../useAsync";
import { useAcknowledge } from "../alerts/useAcknowledge";

export function AlertsCard({ projectId }: { projectId: number }) {
  const alerts = useAsync<Alert[]>(() => manager.alerts(projectId), [projectId]);
  const { rows: list, acknowledge, error } = useAcknowledge(projectId, alerts.data);
  const open = list.filter((a) => a.status === "open");
  const resolved = list.filter((a) => a.status !== "open");
  return (
    <section className="card" aria-labelledby="alerts-title" data-testid="dashboard-alerts">
      <h2 id="alerts-title">
        Alerts {open.length > 0 && <span className="badge alert-count">{open.length} open</span>}
      </h2>
      {alerts.error && <p className="muted">Not available: {alerts.error}</p>}
      {error && <p className="error" role="alert">{error}</p>}
      {alerts.data && open.length === 0 && (
        <p className="muted" data-testid="alerts-empty">
          {list.length === 0 ? "No alerts." : "No open alerts."}
        </p>
      )}
      <ul className="alerts-list" data-testid="alerts-list">
        {[...open, ...resolved.slice(0, 5)].map((a) => (
          <li key={a.id} className={`alert ${a.severity} ${a.status}`} data-testid="alert-item" data-kind={a.kind}
            data-status={a.status}>
            <div className="alert-head">
              <strong>{a.kind.replace(/_/g, " ")}</strong>
              <span className="muted small">
                {a.status === "open" ? "since" : "resolved"} {formatTime(a.resolved_at ?? a.fired_at)}
              </span>
            </div>
            <div>{a.message}</div>
            {a.status === "open" &&
              (a.acknowledged_by ? (
                <span className="muted small">Acknowledged by {a.acknowledged_by}</span>
              ) : (
                <button type="button" className="link" onClick={() => void acknowledge(a)} data-testid="alert-acknowledge">
                  Acknowledge
                </button>
              ))}
          </li>
        ))}
      </ul>
    </section>
  );
}
