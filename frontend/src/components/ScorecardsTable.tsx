import { useState } from "react";
import type { Accuracy, Scorecard } from "../api/types";
import {
  defaultDirection,
  errorKinds,
  SKILL_MIN_EVIDENCE,
  skillView,
  sortScorecards,
  type ScorecardSortKey,
  type SortDirection,
} from "../manager/scorecardSort";
import { Link } from "../router";
import { formatCoefficient, formatPct, IntervalBar } from "./IntervalBar";
import { TrendPlot } from "./TrendPlot";

/** Column titles of the seeded error kinds (annotation_qc/domain/seeding.py); unknown kinds show as sent. */
export const ERROR_KIND_TITLES: Record<string, string> = {
  shift: "Shifted",
  oversize: "Oversized",
  drop: "Missing",
  duplicate: "Duplicate",
  relabel: "Wrong label",
  spurious: "Spurious",
  unassisted: "Unassisted",
};

/** The skill column's header tooltip: what the figure is and how it differs from benchmark accuracy. */
export const SKILL_HINT =
  "Skill: the estimated share of wrong pre-annotations this annotator fixes. It combines two kinds of evidence: " +
  "benchmarks (gold items served with a seeded mistake) and agreement with peers on items they shared " +
  "(each peer counts by their own skill, and answers that simply keep the pre-annotation say little), " +
  "pooled with a prior fitted to the project's annotators. The dot is the estimate, the bar its 95% interval: " +
  "a wider bar means less evidence. Unlike benchmark accuracy, which counts benchmark tasks only, skill also " +
  "uses regular work, so it settles sooner, and while evidence is thin it is pulled toward the typical annotator. " +
  `"calibrating": still calibrating with fewer than ${SKILL_MIN_EVIDENCE} benchmarks and answers; "—": no evidence yet.`;

/** The status column's header tooltip (sequential tests on benchmarks and peer evidence). */
export const STATUS_HINT =
  "flagged: a sequential test on the annotator's benchmarks and peer evidence found the fix rate below the " +
  "project's flag threshold (at most 1 in 100 good annotators is flagged by mistake); calibrating: fewer " +
  "benchmarks than the project's calibration count; ok: neither.";

export function ScorecardsTable({ projectId, cards }: { projectId: number; cards: Scorecard[] }) {
  const [sort, setSort] = useState<{ key: ScorecardSortKey; direction: SortDirection }>({
    key: "benchmarks",
    direction: "asc",
  });
  const kinds = errorKinds(cards);
  const rows = sortScorecards(cards, sort.key, sort.direction);

  const choose = (key: ScorecardSortKey) =>
    setSort((s) =>
      s.key === key ? { key, direction: s.direction === "asc" ? "desc" : "asc" } : { key, direction: defaultDirection(key) },
    );
  const rowSpan = kinds.length > 0 ? 2 : 1;
  const header = (key: ScorecardSortKey, title: string, hint?: string, span = 1, className?: string) => (
    <SortHeader key={key} sortKey={key} title={title} hint={hint} sort={sort} onChoose={choose} rowSpan={span}
      className={className} />
  );

  return (
    <div className="table-wrap">
      <table className="scorecards" data-testid="scorecards-table">
        <thead>
          <tr>
            {header("username", "Annotator", undefined, rowSpan)}
            {header("status", "Status", STATUS_HINT, rowSpan)}
            {header("skill", "Skill", SKILL_HINT, rowSpan)}
            {header("benchmarks", "Benchmark accuracy", "Share of benchmark tasks fixed, with its 95% interval", rowSpan)}
            <th scope="col" rowSpan={rowSpan}>
              Over time
            </th>
            {header("lint_finding_rate", "Lint findings", "Linter findings per submitted annotation", rowSpan, "num")}
            {header("agreement", "Agreement", "Krippendorff's alpha with peers, from the latest agreement report", rowSpan, "num")}
            {header("tasks_done", "Tasks", undefined, rowSpan, "num")}
            {header("median_seconds", "Time per task", "Median seconds per task (server-measured)", rowSpan, "num")}
            {kinds.length > 0 && (
              <th scope="colgroup" colSpan={kinds.length} className="kind-group">
                Fixed, by seeded mistake
              </th>
            )}
          </tr>
          {kinds.length > 0 && (
            <tr>
              {kinds.map((kind) =>
                header(`kind:${kind}`, ERROR_KIND_TITLES[kind] ?? kind, `Benchmarks seeded with: ${kind}`, 1, "kind-col"),
              )}
            </tr>
          )}
        </thead>
        <tbody>
          {rows.map((card) => (
            <tr
              key={card.user_id}
              data-testid="scorecard-row"
              data-user-id={card.user_id}
              data-username={card.username}
              data-status={card.status}
            >
              <th scope="row">
                <Link
                  href={`/projects/${projectId}/annotators/${card.user_id}/benchmarks`}
                  data-testid="drilldown-link"
                  title={`Benchmarks of ${card.username}`}
                >
                  {card.username}
                </Link>
              </th>
              <td>
                <span className={`status-badge ${card.status}`} data-testid="status-badge">
                  {card.status}
                </span>
              </td>
              <td className="accuracy-cell" data-testid="skill-cell">
                <SkillCell card={card} />
              </td>
              <td className="accuracy-cell">
                <IntervalBar
                  value={card.benchmarks.accuracy}
                  low={card.benchmarks.low}
                  high={card.benchmarks.high}
                  width={90}
                  label={`${card.username} benchmark accuracy`}
                />
                <span className="muted small" data-testid="benchmark-count">
                  {card.benchmarks.correct}/{card.benchmarks.n} fixed
                  {(card.benchmarks_skipped ?? 0) > 0 && `, ${card.benchmarks_skipped} skipped (missed)`}
                </span>
                {card.skipping?.selective && (
                  <span
                    className="badge alert-count"
                    data-testid="selective-skipping"
                    title={`Skips ${formatPct(card.skipping.benchmark_skip_rate, 0)} of benchmarks against ${formatPct(card.skipping.work_skip_rate, 0)} of other tasks (Fisher's exact test p = ${card.skipping.p_value.toPrecision(2)})`}
                  >
                    skips benchmarks
                  </span>
                )}
              </td>
              <td>
                <TrendPlot
                  points={card.trend.map((p) => ({ t: p.t, value: p.accuracy, low: p.low, high: p.high }))}
                  width={90}
                  label={`${card.username} accuracy over time`}
                />
              </td>
              <td className="num">{formatPct(card.lint_finding_rate, 1)}</td>
              <td className="num">
                {formatCoefficient(card.agreement)}
                {card.peer?.score != null && (
                  <span
                    className="muted small"
                    data-testid="peer-score"
                    title={`Peer evidence alone: the fix rate estimated from ${card.peer.items} items shared with other annotators (a Dawid-Skene model: each peer's answer counts by their own skill, and answers that keep the pre-annotation say little). It is pooled with benchmarks in Skill.`}
                  >
                    {" "}
                    peer {card.peer.score.toFixed(2)}
                  </span>
                )}
              </td>
              <td className="num">{card.tasks_done}</td>
              <td className="num" title={clientTime(card)}>
                {seconds(card.median_seconds)}
              </td>
              {kinds.map((kind) => (
                <td key={kind} className="kind-col">
                  <KindCell accuracy={card.by_error_kind[kind]} label={`${card.username} ${kind}`} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SkillCell({ card }: { card: Scorecard }) {
  const view = skillView(card);
  if (view.kind === "none")
    return (
      <span className="muted" data-testid="skill-none" title="No benchmarks or answers yet">
        —
      </span>
    );
  const evidence = `${view.benchmarks} benchmark${view.benchmarks === 1 ? "" : "s"}, ${view.answers} answer${view.answers === 1 ? "" : "s"} on regular items`;
  if (view.kind === "calibrating")
    return (
      <span className="muted" data-testid="skill-calibrating" title={`Too little evidence for a figure yet: ${evidence}`}>
        calibrating
      </span>
    );
  return (
    <>
      <IntervalBar value={view.estimate} low={view.low} high={view.high} width={90} label={`${card.username} skill`} />
      <span className="muted small" data-testid="skill-evidence">
        {evidence}
      </span>
    </>
  );
}

function KindCell({ accuracy, label }: { accuracy: Accuracy | undefined; label: string }) {
  if (!accuracy || accuracy.n === 0) return <span className="muted">—</span>;
  return (
    <span className="kind-cell" title={`${accuracy.correct} of ${accuracy.n} fixed`}>
      <IntervalBar value={accuracy.accuracy} low={accuracy.low} high={accuracy.high} width={56} height={12} label={label} />
      <span className="muted small kind-count">
        {accuracy.correct}/{accuracy.n}
      </span>
    </span>
  );
}

function seconds(value: number | null): string {
  if (value === null) return "—";
  return value < 10 ? `${value.toFixed(1)} s` : `${Math.round(value)} s`;
}

function clientTime(card: Scorecard): string | undefined {
  return card.median_client_seconds === null ? undefined : `Client-reported median: ${seconds(card.median_client_seconds)}`;
}

function SortHeader({
  sortKey,
  title,
  hint,
  sort,
  onChoose,
  rowSpan,
  className,
}: {
  sortKey: ScorecardSortKey;
  title: string;
  hint?: string;
  rowSpan?: number;
  className?: string;
  sort: { key: ScorecardSortKey; direction: SortDirection };
  onChoose: (key: ScorecardSortKey) => void;
}) {
  const active = sort.key === sortKey;
  const ariaSort = active ? (sort.direction === "asc" ? "ascending" : "descending") : "none";
  return (
    <th scope="col" aria-sort={ariaSort} title={hint} rowSpan={rowSpan} className={className}>
      <button
        type="button"
        className="sort-button"
        data-testid={`sort-${sortKey.replace(":", "-")}`}
        onClick={() => onChoose(sortKey)}
      >
        {title}
        <span aria-hidden className="sort-arrow">
          {active ? (sort.direction === "asc" ? "▲" : "▼") : "↕"}
        </span>
      </button>
    </th>
  );
}
