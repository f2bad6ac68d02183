// The project's alerts, open first: filter by status, check the rules now, acknowledge an open alert.
import { useState } from "react";
import { alerting, errorMessage } from "../../api";
import type { Alert, AlertCheckResult, AlertStatusFilter, Member } from "../../api/types";
import { checkSummary, subjectText } from "../../manager/alerts";
import { useAsync } from "../../useAsync";
import { SeverityBadge } from "../Badges";
import { DataTable, TimeCell, type Column } from "../DataTable";
import { ErrorNote } from "../Layout";
import { PageNumberPager } from "../Pager";
import { useAcknowledge } from "./useAcknowledge";

const COLUMNS: Column[] = ["Severity", "Kind", "Subject", "Message", "Fired", "Resolved", "Acknowledged"];

export function AlertsList({
  projectId,
  version,
  onChecked,
  members,
}: {
  projectId: number;
  /** Bumped when the rules change: the alerts reload. */
  version: number;
  onChecked: () => void;
  members: Member[];
}) {
  const [status, setStatus] = useState<AlertStatusFilter>("all");
  const [page, setPage] = useState(1);
  const alerts = useAsync(() => alerting.alerts(projectId, status, page), [projectId, status, page, version]);
  const { rows, acknowledge, error, setError } = useAcknowledge(projectId, alerts.data?.results ?? null);
  const [checking, setChecking] = useState(false);
  const [result, setResult] = useState<AlertCheckResult | null>(null);
  const names = new Map(members.map((m) => [m.user_id, m.username]));

  const check = async () => {
    setChecking(true);
    setError(null);
    try {
      setResult(await alerting.check(projectId));
      onChecked();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setChecking(false);
    }
  };

  const data = alerts.data;
  return (
    <section className="card alerts-section" aria-labelledby="alerts-list-title">
      <div className="card-head">
        <h2 id="alerts-list-title">Alerts</h2>
        <div className="actions">
          <label className="inline">
            Show{" "}
            <select value={status} data-testid="alerts-filter-status"
              onChange={(e) => {
                setStatus(e.target.value as AlertStatusFilter);
                setPage(1);
              }}>
              <option value="all">all (open first)</option>
              <option value="open">open</option>
              <option value="resolved">resolved</option>
            </select>
          </label>
          <button type="button" onClick={() => void check()} disabled={checking} data-testid="alerts-check">
            {checking ? "Checking…" : "Check now"}
          </button>
        </div>
      </div>
      {result && <CheckResult result={result} />}
      <ErrorNote error={error} testId="alerts-error" />
      {alerts.error && <p className="error">{alerts.error}</p>}
      {data && (
        <p className="muted small" data-testid="alerts-count">
          {data.count} {status === "all" ? "" : `${status} `}alert{data.count === 1 ? "" : "s"}
        </p>
      )}
      {data && rows.length === 0 && (
        <p className="muted" data-testid="alerts-none">
          {status === "open" ? "No open alerts." : "No alerts."}
        </p>
      )}
      {rows.length > 0 && (
        <DataTable testId="alerts-table" columns={COLUMNS}>
          {rows.map((a) => (
            <AlertRow key={a.id} alert={a} subject={subjectText(a.subject, names)} onAcknowledge={() => void acknowledge(a)} />
          ))}
        </DataTable>
      )}
      <PageNumberPager data={data} page={page} onPage={setPage} testIdPrefix="alerts" />
    </section>
  );
}

function CheckResult({ result }: { result: AlertCheckResult }) {
  return (
    <div className="notice" role="status" data-testid="alerts-check-result" data-fired={result.fired.length}
      data-resolved={result.resolved}>
      {checkSummary(result)}
      {Object.entries(result.failed).map(([ruleId, message]) => (
        <div key={ruleId} className="error small" data-testid="alerts-check-failed" data-rule-id={ruleId}>
          Rule #{ruleId}: {message}
        </div>
      ))}
    </div>
  );
}

function AlertRow({ alert: a, subject, onAcknowledge }: { alert: Alert; subject: string; onAcknowledge: () => void }) {
  return (
    <tr className={`alert-row ${a.severity} ${a.status}`} data-testid="alert-row" data-alert-id={a.id} data-kind={a.kind}
      data-status={a.status} data-severity={a.severity}>
      <td>
        <SeverityBadge severity={a.severity} />
      </td>
      <td>
        <code>{a.kind}</code>
        {a.rule_id === null && <span className="muted small"> (rule deleted)</span>}
      </td>
      <td data-testid="alert-subject">{subject}</td>
      <td className="message">{a.message}</td>
      <TimeCell at={a.fired_at} />
      <TimeCell at={a.resolved_at} otherwise={<span className="badge">open</span>} />
      <td className="small">
        {a.acknowledged_by ? (
          <span data-testid="alert-acknowledged" title={a.acknowledged_at ?? undefined}>
            {a.acknowledged_by}
          </span>
        ) : a.status === "open" ? (
          <button type="button" onClick={onAcknowledge} data-testid="alert-row-acknowledge">
            Acknowledge
          </button>
        ) : (
          "—"
        )}
      </td>
    </tr>
  );
}
