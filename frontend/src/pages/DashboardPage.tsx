import { useState } from "react";
import { errorMessage, jobs, manager, projects } from "../api";
import {
  hasProjectCounts,
  type AgreementOverview,
  type AgreementReport,
  type Alert,
  type Member,
  type QueuePage,
} from "../api/types";
import { formatCoefficient, IntervalBar } from "../components/IntervalBar";
import { TrendPlot } from "../components/TrendPlot";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

/** Alpha runs from -1 (systematic disagreement) through 0 (chance) to 1 (perfect agreement). */
const ALPHA_DOMAIN: [number, number] = [-1, 1];

export function DashboardPage({ projectId }: { projectId: number }) {
  const members = useAsync(() => projects.members(projectId), [projectId]);
  return (
    <ManagerPage projectId={projectId} tab="dashboard">
      {() => (
        <div className="dashboard" data-testid="dashboard">
          <div className="dashboard-column">
            <ProgressCard projectId={projectId} />
            <QueueCard projectId={projectId} />
          </div>
          <AgreementCard projectId={projectId} members={members.data ?? []} />
          <AlertsCard projectId={projectId} />
        </div>
      )}
    </ManagerPage>
  );
}

function ProgressCard({ projectId }: { projectId: number }) {
  const progress = useAsync(() => projects.progress(projectId), [projectId]);
  const p = progress.data;
  const counts = p && hasProjectCounts(p) ? p : null;
  return (
    <section className="card" aria-labelledby="progress-title" data-testid="dashboard-progress">
      <h2 id="progress-title">Progress</h2>
      {progress.error && <p className="error">{progress.error}</p>}
      {counts && (
        <>
          <dl className="stats">
            <Stat name="Items" value={counts.items} testId="progress-items" />
            <Stat name="Gold items" value={counts.gold_items} testId="progress-gold" />
            <Stat name="Annotations submitted" value={counts.submitted_annotations} testId="progress-submitted" />
            <Stat name="Annotations required" value={counts.required_annotations} testId="progress-required" />
            <Stat name="Remaining" value={counts.remaining} testId="progress-remaining" />
            <Stat name="Open slots in the queue" value={counts.open_slots} testId="progress-open-slots" />
          </dl>
          <div className="meter" role="meter" aria-label="Annotations submitted of required" aria-valuemin={0}
            aria-valuemax={counts.required_annotations} aria-valuenow={counts.submitted_annotations}>
            <div
              className="meter-fill"
              style={{
                width: `${counts.required_annotations ? Math.min(100, (100 * counts.submitted_annotations) / counts.required_annotations) : 0}%`,
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

function QueueCard({ projectId }: { projectId: number }) {
  const queue = useAsync<QueuePage>(() => manager.queue(projectId, 5), [projectId]);
  const q = queue.data;
  return (
    <section className="card" aria-labelledby="queue-title" data-testid="dashboard-queue">
      <h2 id="queue-title">Label queue</h2>
      {queue.error && <p className="muted">Not available: {queue.error}</p>}
      {q && (
        <>
          <p>
            Ordered by <strong data-testid="queue-strategy">{q.strategy}</strong>
            {q.requested_strategy && q.requested_strategy !== q.strategy && (
              <span className="muted"> (asked for {q.requested_strategy})</span>
            )}
            {q.model_version && <span className="muted"> · model {q.model_version}</span>}
            {q.computed_at && <span className="muted"> · {new Date(q.computed_at).toLocaleString()}</span>}
          </p>
          {q.note && <p className="muted small">{q.note}</p>}
          {q.results.length === 0 ? (
            <p className="muted">No open items.</p>
          ) : (
            <table className="compact">
              <thead>
                <tr>
                  <th scope="col">Next items</th>
                  <th scope="col">Priority</th>
                  <th scope="col">Open slots</th>
                </tr>
              </thead>
              <tbody>
                {q.results.map((entry) => (
                  <tr key={entry.item_id} data-testid="queue-item">
                    <td>{entry.external_id}</td>
                    <td className="num">{entry.score.toFixed(3)}</td>
                    <td className="num">{entry.open_slots}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}

function AgreementCard({ projectId, members }: { projectId: number; members: Member[] }) {
  const overview = useAsync<AgreementOverview>(() => manager.agreement(projectId), [projectId]);
  const [computing, setComputing] = useState<string | null>(null);
  const o = overview.data;
  const recompute = async () => {
    setComputing("Computing…");
    try {
      const { job_id } = await manager.computeAgreement(projectId);
      const job = await jobs.wait(job_id);
      setComputing(job.status === "failed" ? `Failed: ${job.message}` : null);
      overview.reload();
    } catch (err) {
      setComputing(errorMessage(err));
    }
  };
  return (
    <section className="card" aria-labelledby="agreement-title" data-testid="dashboard-agreement">
      <div className="card-head">
        <h2 id="agreement-title">Agreement (Krippendorff's alpha)</h2>
        <button type="button" onClick={() => void recompute()} disabled={computing === "Computing…"}
          data-testid="agreement-compute">
          Recompute
        </button>
      </div>
      {computing && <p className="muted small" role="status">{computing}</p>}
      {overview.error && <p className="muted">Not available: {overview.error}</p>}
      {o && !o.report && (
        <p className="muted" data-testid="agreement-note">
          {o.note ?? "No agreement report yet."}
        </p>
      )}
      {o?.report && <AgreementReportView report={o.report} overview={o} members={members} />}
    </section>
  );
}

function AgreementReportView({
  report,
  overview,
  members,
}: {
  report: AgreementReport;
  overview: AgreementOverview;
  members: Member[];
}) {
  const names = new Map(members.map((m) => [m.user_id, m.username]));
  const alpha = report.alpha.value;
  const interval = report.interval;
  return (
    <>
      <p className="big-number" data-testid="agreement-alpha">
        {alpha === null ? "undefined" : alpha.toFixed(3)}
        {alpha !== null && interval?.low != null && interval.high != null && (
          <span className="muted small" data-testid="agreement-interval">
            95% interval {interval.low.toFixed(3)} to {interval.high.toFixed(3)}
          </span>
        )}
      </p>
      {alpha !== null && (
        <IntervalBar value={alpha} low={interval?.low} high={interval?.high} width={240} label="alpha"
          domain={ALPHA_DOMAIN} format={formatCoefficient} />
      )}
      {report.alpha.reason && <p className="muted">{report.alpha.reason}</p>}
      <p className="muted small">
        {report.n_items} item{report.n_items === 1 ? "" : "s"} labeled more than once
        {report.n_ignored_items > 0 && ` (${report.n_ignored_items} with one answer ignored)`}
        {report.kind === "bbox" && report.mean_iou !== null && ` · mean IoU of matched boxes ${report.mean_iou.toFixed(2)}`}
        {overview.computed_at && ` · computed ${new Date(overview.computed_at).toLocaleString()}`}
      </p>
      {overview.trend.length > 1 && (
        <p className="trend-line-row">
          <span className="muted small">Over time</span>{" "}
          <TrendPlot
            points={overview.trend.map((p) => ({
              t: Date.parse(p.computed_at) / 1000,
              value: p.alpha,
              low: p.alpha_low,
              high: p.alpha_high,
            }))}
            width={200}
            height={36}
            domain={ALPHA_DOMAIN}
            format={formatCoefficient}
            label="Alpha over time"
          />
        </p>
      )}
      <h3>Per label</h3>
      <table className="compact" data-testid="agreement-per-label">
        <thead>
          <tr>
            <th scope="col">Label</th>
            <th scope="col">Alpha and interval</th>
            <th scope="col" title="Specific agreement: how often a use of the label is matched by a peer">
              Specific
            </th>
          </tr>
        </thead>
        <tbody>
          {report.per_label.map((entry) => (
            <tr key={entry.label} data-testid="agreement-label-row" data-label={entry.label}>
              <th scope="row">{entry.label}</th>
              <td>
                {entry.alpha.value === null ? (
                  <span className="muted">{entry.alpha.reason ?? "—"}</span>
                ) : (
                  <IntervalBar value={entry.alpha.value} low={entry.interval?.low} high={entry.interval?.high}
                    label={`${entry.label} alpha`} domain={ALPHA_DOMAIN} format={formatCoefficient} />
                )}
              </td>
              <td className="num">{formatCoefficient(entry.specific_agreement)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {report.annotators.length > 0 && (
        <>
          <h3>Annotators with their peers</h3>
          <table className="compact" data-testid="agreement-annotators">
            <thead>
              <tr>
                <th scope="col">Annotator</th>
                <th scope="col">Alpha with peers</th>
                <th scope="col">Comparisons</th>
              </tr>
            </thead>
            <tbody>
              {report.annotators.map((a) => (
                <tr key={a.annotator} data-testid="agreement-annotator-row" data-user-id={a.annotator}>
                  <th scope="row">{names.get(a.annotator) ?? `user ${a.annotator}`}</th>
                  <td title={a.alpha_with_peers.reason ?? undefined}>
                    {a.alpha_with_peers.value === null ? (
                      <span className="muted">{a.alpha_with_peers.reason ?? "—"}</span>
                    ) : (
                      formatCoefficient(a.alpha_with_peers.value)
                    )}
                  </td>
                  <td className="num">{a.n_comparisons}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

function AlertsCard({ projectId }: { projectId: number }) {
  const alerts = useAsync<Alert[]>(() => manager.alerts(projectId), [projectId]);
  const [acknowledged, setAcknowledged] = useState<Map<number, Alert>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const acknowledge = async (alert: Alert) => {
    setError(null);
    try {
      const updated = await manager.acknowledgeAlert(projectId, alert.id);
      setAcknowledged((m) => new Map(m).set(alert.id, updated));
    } catch (err) {
      setError(errorMessage(err));
    }
  };
  const list = (alerts.data ?? []).map((a) => acknowledged.get(a.id) ?? a);
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
                {a.status === "open" ? "since" : "resolved"} {new Date(a.resolved_at ?? a.fired_at).toLocaleString()}
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
