import { useState } from "react";
import type { Scorecard } from "../api/types";
import {
  defaultDirection,
  errorKinds,
  sortScorecards,
  type ScorecardSortKey,
  type SortDirection,
} from "../manager/scorecardSort";
import { Link } from "../router";
import { formatPct, IntervalBar } from "./IntervalBar";
import { TrendPlot } from "./TrendPlot";

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
  const header = (key: ScorecardSortKey, title: string) => (
    <SortHeader key={key} sortKey={key} title={title} sort={sort} onChoose={choose} />
  );

  return (
    <div className="table-wrap">
      <table className="scorecards" data-testid="scorecards-table">
        <thead>
          <tr>
            {header("username", "Annotator")}
            {header("status", "Status")}
            {header("benchmarks", "Benchmark accuracy")}
            <th scope="col">Trend</th>
            {kinds.map((kind) => header(`kind:${kind}`, kind))}
            {header("lint_finding_rate", "Lint findings")}
            {header("agreement", "Agreement")}
            {header("tasks_done", "Tasks")}
            {header("median_seconds", "Median s")}
            <th scope="col">Details</th>
          </tr>
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
              <th scope="row">{card.username}</th>
              <td>
                <span className={`status-badge ${card.status}`} data-testid="status-badge">
                  {card.status}
                </span>
              </td>
              <td>
                <IntervalBar
                  value={card.benchmarks?.accuracy}
                  low={card.benchmarks?.low}
                  high={card.benchmarks?.high}
                  label={`${card.username} benchmark accuracy`}
                />
                <span className="muted small">
                  {" "}
                  {card.benchmarks?.correct ?? 0}/{card.benchmarks?.n ?? 0}
                </span>
              </td>
              <td>
                <TrendPlot points={card.trend ?? []} label={`${card.username} accuracy over time`} />
              </td>
              {kinds.map((kind) => {
                const acc = card.by_error_kind?.[kind];
                return (
                  <td key={kind} className="kind-col">
                    {acc ? (
                      <span title={`${acc.correct}/${acc.n} fixed`}>
                        <IntervalBar value={acc.accuracy} low={acc.low} high={acc.high} width={70}
                          label={`${card.username} ${kind}`} />
                      </span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                );
              })}
              <td>{formatPct(card.lint_finding_rate, 1)}</td>
              <td>{card.agreement === null || card.agreement === undefined ? "—" : card.agreement.toFixed(2)}</td>
              <td>{card.tasks_done}</td>
              <td>{card.median_seconds === null || card.median_seconds === undefined ? "—" : card.median_seconds.toFixed(1)}</td>
              <td>
                <Link
                  href={`/projects/${projectId}/annotators/${card.user_id}/benchmarks`}
                  data-testid="drilldown-link"
                  aria-label={`Benchmarks of ${card.username}`}
                >
                  Benchmarks
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SortHeader({
  sortKey,
  title,
  sort,
  onChoose,
}: {
  sortKey: ScorecardSortKey;
  title: string;
  sort: { key: ScorecardSortKey; direction: SortDirection };
  onChoose: (key: ScorecardSortKey) => void;
}) {
  const active = sort.key === sortKey;
  const ariaSort = active ? (sort.direction === "asc" ? "ascending" : "descending") : "none";
  return (
    <th scope="col" aria-sort={ariaSort}>
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
