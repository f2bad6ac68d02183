// A project at a glance: progress, the label queue, agreement and alerts. ML engineers see it without what is for
// managers only: the members' names, the alerts and recomputing agreement (manager/access.ts).
import { manager, projects } from "../api";
import { hasProjectCounts, type QueuePage } from "../api/types";
import { projectRole, useAuth } from "../auth";
import { AgreementCard } from "../components/dashboard/AgreementCard";
import { AlertsCard } from "../components/dashboard/AlertsCard";
import { BenchmarkAuditCard } from "../components/dashboard/BenchmarkAuditCard";
import { PrioritizeCard } from "../components/dashboard/PrioritizeCard";
import { DataHealthCard } from "../components/dashboard/DataHealthCard";
import { TableHead } from "../components/DataTable";
import { Stat } from "../components/Stat";
import { canOpen } from "../manager/access";
import { formatTime } from "../manager/format";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

export function DashboardPage({ projectId }: { projectId: number }) {
  const { me } = useAuth();
  const role = projectRole(me, projectId);
  const manages = role === "manager";
  // projects/apis.py ProjectMembersApi is for managers; without names the agreement card shows user ids.
  const members = useAsync(() => (manages ? projects.members(projectId) : Promise.resolve([])), [projectId, manages]);
  return (
    <ManagerPage projectId={projectId} tab="dashboard">
      {(project) => (
        <div className="dashboard" data-testid="dashboard">
          <div className="dashboard-column">
            <ProgressCard projectId={projectId} />
            <QueueCard projectId={projectId} />
            <PrioritizeCard projectId={projectId} strategy={project.settings?.strategy ?? "import_order"} />
          </div>
          <AgreementCard projectId={projectId} members={members.data ?? []} canRecompute={manages} />
          {canOpen(role, "alerts") && <AlertsCard projectId={projectId} />}
          {manages && <BenchmarkAuditCard projectId={projectId} />}
          {(role === "manager" || role === "ml_engineer") && <DataHealthCard projectId={projectId} />}
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
            {q.computed_at && <span className="muted"> · {formatTime(q.computed_at)}</span>}
          </p>
          {q.note && <p className="muted small">{q.note}</p>}
          {q.results.length === 0 ? (
            <p className="muted">No open items.</p>
          ) : (
            <table className="compact">
              <TableHead columns={["Next items", "Priority", "Open slots"]} />
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
