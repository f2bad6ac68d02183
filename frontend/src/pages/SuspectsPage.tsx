// Suspected label errors: the latest detection run, the ranked suspects with their reasons, a CSV download and a
// button to run the detection again (managers and ML engineers).
import { useState } from "react";
import { errorMessage } from "../api";
import { review } from "../api/review";
import { formatScore } from "../review/reviewLogic";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

export function SuspectsPage({ projectId }: { projectId: number }) {
  const page = useAsync(() => review.suspects(projectId), [projectId]);
  const [note, setNote] = useState<string | null>(null);
  const [modelVersion, setModelVersion] = useState("");
  const run = page.data?.run;
  const latest = page.data?.latest_run;

  const detect = async () => {
    setNote(null);
    try {
      const started = await review.detectSuspects(projectId, modelVersion.trim());
      setNote(`Detection started (job ${started.job_id}); reload in a moment.`);
      page.reload();
    } catch (err) {
      setNote(errorMessage(err));
    }
  };

  return (
    <ManagerPage projectId={projectId} tab="suspects">
      {() => (
        <section data-testid="suspects-page">
          <h1>Suspected label errors</h1>
          <p className="muted">
            Accepted labels the model (cross-validated, or an uploaded model's probabilities and boxes) most doubts,
            most suspicious first.
          </p>
          <form
            className="filters"
            onSubmit={(e) => {
              e.preventDefault();
              void detect();
            }}
          >
            <label>
              Model version (optional)
              <input value={modelVersion} onChange={(e) => setModelVersion(e.target.value)} maxLength={100} />
            </label>
            <button type="submit" data-testid="detect-suspects">
              Find label errors
            </button>
            <a className="button" href={review.suspectsCsvUrl(projectId)} data-testid="suspects-csv">
              Download CSV
            </a>
          </form>
          {note && <p role="status">{note}</p>}
          {page.error && (
            <p className="error" role="alert">
              {page.error}
            </p>
          )}
          {latest && latest.status === "failed" && (
            <p className="error" data-testid="suspects-failed">
              The last detection could not run: {latest.message}
            </p>
          )}
          {run && (
            <p className="muted small" data-testid="suspects-run">
              {run.items} items scored ({run.source}
              {run.model_version ? ` ${run.model_version}` : ""}), {run.suspects} suspects.
            </p>
          )}
          {page.data && !run && <p className="muted">No detection has run yet.</p>}
          {page.data && page.data.results.length > 0 && (
            <table className="data-table" data-testid="suspects-table">
              <thead>
                <tr>
                  <th>#</th>
                  <th>Item</th>
                  <th>Score</th>
                  <th>Kind</th>
                  <th>Reason</th>
                  <th>Annotator</th>
                </tr>
              </thead>
              <tbody>
                {page.data.results.map((s) => (
                  <tr key={s.item_id} data-testid="suspect-row">
                    <td>{s.rank}</td>
                    <td>{s.external_id}</td>
                    <td>{formatScore(s.score)}</td>
                    <td>{s.kind.replace("_", " ")}</td>
                    <td>{s.reason}</td>
                    <td>{s.annotator ?? "consensus"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </ManagerPage>
  );
}
