// The dashboard's data-health card: drift of each imported batch against the reference, and label coverage
// against the ML team's targets (datahealth app; docs/api.md "Data health").
import { dataHealth, type Coverage, type DriftBatch } from "../../api/dataHealth";
import { useAsync } from "../../useAsync";
import { CategoryChart, type CategoryRow } from "../charts";

export function driftRows(batches: DriftBatch[]): CategoryRow[] {
  return batches.map((b) => ({
    category: `#${b.batch}`,
    effect: b.drifted ? null : b.max_effect,
    drifted: b.drifted ? b.max_effect : null,
    statistics: b.drifted_statistics.join(", ") || "—",
  }));
}

export function coverageRows(coverage: Coverage): CategoryRow[] {
  return coverage.labels.map((row) => ({
    category: row.under_represented ? `${row.value} (under target)` : row.value,
    labeled: row.shares.labeled ?? 0,
    target: row.target,
  }));
}

export function DataHealthCard({ projectId }: { projectId: number }) {
  const drift = useAsync(() => dataHealth.drift(projectId), [projectId]);
  const coverage = useAsync(() => dataHealth.coverage(projectId), [projectId]);
  const batches = drift.data?.batches ?? [];
  const drifted = batches.filter((b) => b.drifted);
  return (
    <section className="card" aria-labelledby="data-health-title" data-testid="dashboard-data-health">
      <h2 id="data-health-title">Data health</h2>
      {drift.error && <p className="muted">Drift not available: {drift.error}</p>}
      {drift.data && (
        <>
          <p className="muted small" data-testid="drift-summary">
            {batches.length === 0
              ? "No batch compared with the reference yet."
              : `${drifted.length} of ${batches.length} batches drifted` +
                (drifted.length ? `: ${drifted.map((b) => `#${b.batch} (${b.drifted_statistics.join(", ")})`).join("; ")}` : ".")}
          </p>
          <CategoryChart
            title="Drift per batch"
            description="Largest effect size of any statistic against the reference; drifted batches in red"
            testId="drift-chart"
            rows={driftRows(batches)}
            bars={[
              { key: "effect", name: "Largest effect", colour: "#4c78a8" },
              { key: "drifted", name: "Drifted (largest effect)", colour: "#d62728" },
            ]}
            stacked
            categoryLabel="Batch (import)"
            dataUrl={`/api/v1/projects/${projectId}/data-health/drift/`}
            empty="No batch compared with the reference yet."
          />
        </>
      )}
      {coverage.error && <p className="muted">Coverage not available: {coverage.error}</p>}
      {coverage.data && (
        <CategoryChart
          title="Label coverage"
          description="Share of labeled answers per label against the target"
          testId="coverage-chart"
          rows={coverageRows(coverage.data)}
          bars={[
            { key: "labeled", name: "Labeled share" },
            { key: "target", name: "Target share" },
          ]}
          horizontal
          categoryLabel="Label"
          empty="No labels yet."
        />
      )}
    </section>
  );
}
