import { useState } from "react";
import { manager, projects } from "../api";
import type { BenchmarkRecord } from "../api/types";
import { AnnotationOverlay, describePayload, Legend, type OverlayLayer } from "../components/AnnotationOverlay";
import { ERROR_KIND_TITLES } from "../components/ScorecardsTable";
import { Link } from "../router";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

export const BENCHMARK_STYLES = {
  gold: { name: "Gold", color: "#2ca02c", width: 4 },
  seeded: { name: "Seeded (pre-annotation)", color: "#ff7f0e", dash: "8 5", width: 2.5 },
  submitted: { name: "Submitted", color: "#1565c0", dash: "2 3", width: 2.5 },
} as const;

type LayerKey = keyof typeof BENCHMARK_STYLES;

export function DrilldownPage({ projectId, userId }: { projectId: number; userId: number }) {
  const records = useAsync(() => manager.benchmarks(projectId, userId), [projectId, userId]);
  const members = useAsync(() => projects.members(projectId), [projectId]);
  const username = members.data?.find((m) => m.user_id === userId)?.username ?? `user ${userId}`;
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [onlyMissed, setOnlyMissed] = useState(false);
  const toggle = (key: string) =>
    setHidden((h) => {
      const next = new Set(h);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  const shown = (records.data ?? []).filter((r) => !onlyMissed || !r.fixed);
  const fixed = (records.data ?? []).filter((r) => r.fixed).length;

  return (
    <ManagerPage projectId={projectId} tab="scorecards">
      {() => (
        <section className="drilldown" data-testid="drilldown" data-user-id={userId}>
          <div className="page-head">
            <h1>Benchmarks of {username}</h1>
            <Link href={`/projects/${projectId}/scorecards`} className="button">
              Back to scorecards
            </Link>
          </div>
          {records.error && (
            <p className="error" role="alert">
              {records.error}
            </p>
          )}
          {records.data && (
            <p data-testid="drilldown-summary">
              {fixed} of {records.data.length} benchmark tasks fixed.{" "}
              <label>
                <input type="checkbox" checked={onlyMissed} onChange={(e) => setOnlyMissed(e.target.checked)} /> Only
                the ones not fixed
              </label>
            </p>
          )}
          <div className="legend-bar">
            <Legend layers={legendLayers()} hidden={hidden} onToggle={toggle} />
          </div>
          {records.data && records.data.length === 0 && <p>No benchmark tasks submitted yet.</p>}
          <ul className="benchmark-list">
            {shown.map((r) => (
              <BenchmarkCard key={r.task_id} record={r} hidden={hidden} />
            ))}
          </ul>
        </section>
      )}
    </ManagerPage>
  );
}

function legendLayers(): OverlayLayer[] {
  return (Object.keys(BENCHMARK_STYLES) as LayerKey[]).map((key) => ({ key, payload: null, ...BENCHMARK_STYLES[key] }));
}

function BenchmarkCard({ record, hidden }: { record: BenchmarkRecord; hidden: Set<string> }) {
  const layers: OverlayLayer[] = (Object.keys(BENCHMARK_STYLES) as LayerKey[]).map((key) => ({
    key,
    payload: record[key],
    ...BENCHMARK_STYLES[key],
  }));
  return (
    <li
      className={`card benchmark-card ${record.fixed ? "fixed" : "missed"}`}
      data-testid="benchmark-card"
      data-task-id={record.task_id}
      data-error-kind={record.error_kind}
      data-fixed={record.fixed}
    >
      <div className="benchmark-head">
        <span className="badge" title="The mistake seeded into the pre-annotation">
          {ERROR_KIND_TITLES[record.error_kind] ?? record.error_kind}
          {record.error_label && ` · ${record.error_label}`}
        </span>
        <span className={record.fixed ? "ok-text" : "error-text"}>{record.fixed ? "Fixed" : "Not fixed"}</span>
        <span className="muted small">
          task {record.task_id} · item {record.item.id}
          {record.submitted_at && ` · ${new Date(record.submitted_at).toLocaleString()}`}
        </span>
      </div>
      <AnnotationOverlay item={record.item} layers={layers.filter((l) => !hidden.has(l.key))} maxWidth={460} />
      <dl className="payload-summary">
        {layers.map((l) => (
          <div key={l.key}>
            <dt style={{ color: l.color }}>{l.name}</dt>
            <dd>{l.key === "seeded" && l.payload === null ? "none (unassisted)" : describePayload(l.payload)}</dd>
          </div>
        ))}
      </dl>
      {record.detail && Object.keys(record.detail).length > 0 && (
        <details>
          <summary>Scoring detail</summary>
          <pre>{JSON.stringify(record.detail, null, 2)}</pre>
        </details>
      )}
    </li>
  );
}
