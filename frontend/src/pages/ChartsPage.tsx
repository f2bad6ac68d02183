// The project in pictures: throughput, skill, agreement, label mix, linter findings, benchmark outcomes, the
// queue's scores, and the data's coverage (metadata attributes, box sizes, boxes per image), each with its data as
// a table, JSON and CSV. ML engineers see the charts about the data only.
import { projects } from "../api";
import { projectRole, useAuth } from "../auth";
import {
  AttributeCoverageCharts,
  CategoryChart,
  HistogramChart,
  TimeSeriesChart,
  type AttributeRow,
  type TimeSeries,
} from "../components/charts";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

type Row = Record<string, string | number | null>;

const dayTime = (day: unknown) => Date.parse(`${String(day)}T00:00:00Z`) / 1000;
const num = (v: unknown) => (typeof v === "number" ? v : null);

/** Long rows (one per series and time) to one series per value of `key`. */
export function seriesBy(rows: Row[], key: string, time: (r: Row) => number, value: string, band?: [string, string]) {
  const out = new Map<string, TimeSeries>();
  for (const r of rows) {
    const id = String(r[key]);
    const s = out.get(id) ?? { id, name: id, points: [] };
    s.points.push({
      t: time(r),
      value: num(r[value]),
      low: band ? num(r[band[0]]) : undefined,
      high: band ? num(r[band[1]]) : undefined,
    });
    out.set(id, s);
  }
  return [...out.values()];
}

function useChart(projectId: number, name: string, enabled = true) {
  return useAsync(
    () => (enabled ? projects.chart<Row>(projectId, name).then((d) => d.rows) : Promise.resolve([] as Row[])),
    [projectId, name, enabled],
  );
}

export function ChartsPage({ projectId }: { projectId: number }) {
  const { me } = useAuth();
  const manages = projectRole(me, projectId) === "manager";
  const throughput = useChart(projectId, "throughput");
  const skill = useChart(projectId, "skill", manages);
  const agreement = useChart(projectId, "agreement");
  const mix = useChart(projectId, "label-mix");
  const lint = useChart(projectId, "lint-rules", manages);
  const outcomes = useChart(projectId, "benchmark-outcomes", manages);
  const queue = useChart(projectId, "queue-scores");
  const attributes = useChart(projectId, "metadata-attributes");
  const boxSizes = useChart(projectId, "box-sizes");
  const perImage = useChart(projectId, "boxes-per-image");
  const url = (name: string) => projects.chartUrl(projectId, name);
  const errors = [throughput, skill, agreement, mix, lint, outcomes, queue, attributes, boxSizes, perImage]
    .map((c) => c.error)
    .filter(Boolean);
  return (
    <ManagerPage projectId={projectId} tab="charts">
      {() => (
        <div data-testid="charts-page">
          <h1>Charts</h1>
          {errors.length > 0 && (
            <p className="error" role="alert">
              {errors[0]}
            </p>
          )}
          <div className="charts-grid">
            <TimeSeriesChart
              title="Throughput"
              description="Tasks submitted and skipped per day"
              testId="chart-throughput"
              dataUrl={url("throughput")}
              valueLabel="Tasks"
              series={[
                ...seriesBy((throughput.data ?? []).map((r) => ({ ...r, s: "Submitted" })), "s", (r) => dayTime(r.day), "submitted"),
                ...seriesBy((throughput.data ?? []).map((r) => ({ ...r, s: "Skipped" })), "s", (r) => dayTime(r.day), "skipped"),
              ]}
            />
            {manages && (
              <TimeSeriesChart
                title="Benchmark skill"
                description="Each annotator's share of seeded errors fixed so far, with its 95% interval"
                testId="chart-skill"
                dataUrl={url("skill")}
                valueLabel="Accuracy"
                domain={[0, 1]}
                format={(v) => `${Math.round(v * 100)}%`}
                series={seriesBy(skill.data ?? [], "username", (r) => dayTime(r.day), "accuracy", ["low", "high"])}
                empty="No benchmark scored yet."
              />
            )}
            <TimeSeriesChart
              title="Agreement"
              description="Krippendorff's alpha per report, with its bootstrap interval"
              testId="chart-agreement"
              dataUrl={url("agreement")}
              valueLabel="Alpha"
              domain={[-1, 1]}
              series={seriesBy(
                (agreement.data ?? []).map((r) => ({ ...r, s: "Alpha" })),
                "s",
                (r) => Date.parse(String(r.computed_at)) / 1000,
                "alpha",
                ["low", "high"],
              )}
              empty="No agreement report yet."
            />
            <TimeSeriesChart
              title="Label mix"
              description="Labels given per day"
              testId="chart-label-mix"
              dataUrl={url("label-mix")}
              valueLabel="Count"
              series={seriesBy(mix.data ?? [], "label", (r) => dayTime(r.day), "count")}
            />
            {manages && (
              <CategoryChart
                title="Linter findings by rule"
                testId="chart-lint-rules"
                dataUrl={url("lint-rules")}
                categoryLabel="Rule"
                horizontal
                stacked
                rows={(lint.data ?? []).map((r) => ({ category: String(r.rule), errors: num(r.errors), warnings: num(r.warnings) }))}
                bars={[
                  { key: "errors", name: "Errors", colour: "#b91c1c" },
                  { key: "warnings", name: "Warnings", colour: "#a16207" },
                ]}
                empty="No findings."
              />
            )}
            {manages && (
              <CategoryChart
                title="Benchmark outcomes by error kind"
                testId="chart-benchmark-outcomes"
                dataUrl={url("benchmark-outcomes")}
                categoryLabel="Error kind"
                stacked
                rows={(outcomes.data ?? []).map((r) => ({ category: String(r.error_kind), fixed: num(r.fixed), missed: num(r.missed) }))}
                bars={[
                  { key: "fixed", name: "Fixed", colour: "#237a3b" },
                  { key: "missed", name: "Missed", colour: "#b91c1c" },
                ]}
                empty="No benchmark scored yet."
              />
            )}
            <HistogramChart
              title="Queue scores"
              description="Priority of the items still to label"
              testId="chart-queue-scores"
              dataUrl={url("queue-scores")}
              valueLabel="Priority"
              bins={(queue.data ?? []).map((r) => ({ start: Number(r.start), end: Number(r.end), count: Number(r.count) }))}
              empty="No open items."
            />
            <HistogramChart
              title="Box sizes"
              description="Labeled boxes by size: the square root of box area over image area"
              testId="chart-box-sizes"
              dataUrl={url("box-sizes")}
              valueLabel="Relative size"
              bins={(boxSizes.data ?? []).map((r) => ({ start: Number(r.start), end: Number(r.end), count: Number(r.count) }))}
              empty="No labeled boxes yet."
            />
            <CategoryChart
              title="Boxes per image"
              description="Labeled images by how many boxes they hold"
              testId="chart-boxes-per-image"
              dataUrl={url("boxes-per-image")}
              categoryLabel="Boxes"
              rows={(perImage.data ?? []).map((r) => ({ category: String(r.boxes), images: num(r.images) }))}
              bars={[{ key: "images", name: "Images", colour: "#1f5fbf" }]}
              empty="No labeled boxes yet."
            />
            <AttributeCoverageCharts
              rows={(attributes.data ?? []) as unknown as AttributeRow[]}
              dataUrl={url("metadata-attributes")}
            />
          </div>
        </div>
      )}
    </ManagerPage>
  );
}
