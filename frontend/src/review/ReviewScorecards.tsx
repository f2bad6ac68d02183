// Review as a quality signal on the scorecards page: per annotator, what reviewers made of their work (first-pass
// acceptance and rejection rate with 95% intervals, objects fixed and rework rounds per review, the reviewers'
// working time, a weekly trend) beside their benchmark accuracy; and per reviewer, the seeded errors of review
// benchmarks they caught, with the flag status that raises the reviewer_flagged alert.
import { review, type ReviewerScorecardRow, type ReviewScorecardRow } from "../api/review";
import { formatPct, IntervalBar } from "../components/IntervalBar";
import { useAsync } from "../useAsync";

function seconds(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : `${Math.round(value)} s`;
}

function trendText(row: ReviewScorecardRow): string {
  return row.trend.map((w) => `${w.week}: ${w.first_pass_accepted}/${w.reviews}`).join(" · ");
}

export function ReviewScorecards({ projectId }: { projectId: number }) {
  const annotators = useAsync(() => review.reviewScorecard(projectId), [projectId]);
  const reviewers = useAsync(() => review.reviewerScorecard(projectId), [projectId]);
  const rows = annotators.data?.results ?? [];
  const checkers = reviewers.data?.results ?? [];
  if (annotators.error || reviewers.error)
    return (
      <p className="error" role="alert">
        {annotators.error ?? reviewers.error}
      </p>
    );
  if (rows.length === 0 && checkers.length === 0) return null;
  return (
    <section data-testid="review-scorecards">
      <h2>Review outcomes</h2>
      <p className="muted">
        What reviewers made of each annotator's sampled work, apart from benchmark accuracy. Time in review is the
        reviewer's working time, from opening the review to acting on it.
      </p>
      {rows.length > 0 && (
        <table className="data-table" data-testid="review-scorecard-table">
          <thead>
            <tr>
              <th scope="col">Annotator</th>
              <th scope="col">Reviews</th>
              <th scope="col">First-pass acceptance</th>
              <th scope="col">Rejection rate</th>
              <th scope="col">Object rejection rate</th>
              <th scope="col">Objects fixed / review</th>
              <th scope="col">Rework rounds / review</th>
              <th scope="col">Time in review (median)</th>
              <th scope="col">Benchmark accuracy</th>
              <th scope="col">Weekly first-pass</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.user_id} data-testid="review-scorecard-row" data-user={r.username ?? r.user_id}>
                <td>{r.username ?? r.user_id}</td>
                <td>{r.reviews}</td>
                <td data-testid="first-pass">
                  <IntervalBar label="First-pass acceptance" {...r.first_pass_acceptance} />
                </td>
                <td>
                  <IntervalBar label="Rejection rate" {...r.rejection_rate} />
                </td>
                <td data-testid="object-rejection" title={`${r.object_rejection_rate?.n ?? 0} boxes given a verdict`}>
                  {r.object_rejection_rate && r.object_rejection_rate.n > 0 ? (
                    <IntervalBar label="Object rejection rate" {...r.object_rejection_rate} />
                  ) : (
                    "—"
                  )}
                </td>
                <td>{r.objects_fixed_per_review.value?.toFixed(2) ?? "—"}</td>
                <td>{r.rework_rounds_per_review.value?.toFixed(2) ?? "—"}</td>
                <td data-testid="time-in-review" title={`${r.time_in_review_seconds.n} timed reviews`}>
                  {seconds(r.time_in_review_seconds.median)}
                </td>
                <td>
                  <IntervalBar label="Benchmark accuracy" {...r.benchmark_accuracy} />
                </td>
                <td className="small muted">{trendText(r)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {checkers.length > 0 && (
        <>
          <h2>Reviewers</h2>
          <table className="data-table" data-testid="reviewer-scorecard-table">
            <thead>
              <tr>
                <th scope="col">Reviewer</th>
                <th scope="col">Status</th>
                <th scope="col">Reviews (accepted / fixed / rejected)</th>
                <th scope="col">Seeded errors caught</th>
              </tr>
            </thead>
            <tbody>
              {checkers.map((r: ReviewerScorecardRow) => (
                <tr key={r.user_id} data-testid="reviewer-row" data-status={r.status}>
                  <td>{r.username ?? r.user_id}</td>
                  <td className={r.status === "flagged" ? "error" : undefined}>{r.status}</td>
                  <td>
                    {r.reviews} ({r.accepted} / {r.fixed} / {r.rejected})
                  </td>
                  <td title={`${r.benchmarks.caught} of ${r.benchmarks.n} review benchmarks`}>
                    <IntervalBar label="Seeded errors caught" value={r.benchmarks.accuracy} low={r.benchmarks.low}
                      high={r.benchmarks.high} />{" "}
                    <span className="muted small">
                      {r.benchmarks.caught}/{r.benchmarks.n}
                      {r.benchmarks.accuracy !== null ? ` (${formatPct(r.benchmarks.accuracy)})` : ""}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
