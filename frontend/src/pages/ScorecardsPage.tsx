import { manager } from "../api";
import { ScorecardsTable } from "../components/ScorecardsTable";
import { ReviewScorecards } from "../review/ReviewScorecards";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

export function ScorecardsPage({ projectId }: { projectId: number }) {
  const cards = useAsync(() => manager.scorecards(projectId), [projectId]);
  const note = cards.data?.find((c) => c.note)?.note ?? null;
  return (
    <ManagerPage projectId={projectId} tab="scorecards">
      {() => (
        <section data-testid="scorecards-page">
          <div className="page-head">
            <h1>Annotator scorecards</h1>
            <a className="button" href={manager.scorecardsCsvUrl(projectId)} download data-testid="scorecards-csv">
              Download CSV
            </a>
          </div>
          <p className="muted">
            Skill is the estimated share of wrong pre-annotations the annotator fixes, from benchmarks and from
            agreement with peers on shared items, pooled with the project's population. Benchmark accuracy is the
            share of benchmark tasks (gold items served with a seeded mistake) that the annotator fixed. The dot is
            the estimate, the bar its 95% interval (wider: less evidence). Click a column to sort, a name for the
            benchmarks behind it.
          </p>
          {note && (
            <p className="notice" role="status" data-testid="scorecards-note">
              {note}
            </p>
          )}
          {cards.error && (
            <p className="error" role="alert">
              {cards.error}
            </p>
          )}
          {cards.loading && !cards.data && <p>Loading…</p>}
          {cards.data && cards.data.length === 0 && <p>No annotators in this project yet.</p>}
          {cards.data && cards.data.length > 0 && <ScorecardsTable projectId={projectId} cards={cards.data} />}
          <ReviewScorecards projectId={projectId} />
        </section>
      )}
    </ManagerPage>
  );
}
