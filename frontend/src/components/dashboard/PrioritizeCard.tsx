// Start a prioritisation run with a strategy and follow it live; a run already going is shown instead of a
// second one. Below, the whole prioritised queue, page by page (score, strategy, model version).
import { useEffect, useRef, useState } from "react";
import { ApiError, errorMessage, jobs, manager, projects } from "../../api";
import type { QueuePage } from "../../api/types";
import { STRATEGIES } from "../../manager/settingsForm";
import { formatTime } from "../../manager/format";
import { JobLine, type JobPhase } from "../JobLine";

const PAGE = 25;

export function PrioritizeCard({ projectId, strategy: initial }: { projectId: number; strategy: string }) {
  const [strategy, setStrategy] = useState(initial);
  const [phase, setPhase] = useState<JobPhase>({ step: "idle" });
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reloadQueue, setReloadQueue] = useState(0);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const follow = async (jobId: number) => {
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setPhase({ step: "running", id: jobId, job: null });
    try {
      const job = await jobs.wait(jobId, {
        intervalMs: 700,
        signal: controller.signal,
        onProgress: (j) => setPhase({ step: "running", id: jobId, job: j }),
      });
      setPhase(job.status === "succeeded" || job.status === "failed" ? { step: "finished", id: jobId, job } : { step: "running", id: jobId, job });
      setReloadQueue((n) => n + 1);
    } catch (err) {
      if (!controller.signal.aborted) setError(errorMessage(err));
    }
  };

  const start = async () => {
    setError(null);
    setNote(null);
    setPhase({ step: "starting" });
    try {
      const started = await projects.prioritize(projectId, strategy);
      void follow(started.job_id);
    } catch (err) {
      const body = err instanceof ApiError ? (err.body as { job_id?: number }) : {};
      if (err instanceof ApiError && err.status === 409 && typeof body.job_id === "number") {
        setNote(`${err.message} Showing the run in progress.`);
        void follow(body.job_id);
      } else {
        setPhase({ step: "idle" });
        setError(errorMessage(err));
      }
    }
  };

  return (
    <section className="card" aria-labelledby="prioritize-title" data-testid="dashboard-prioritize">
      <h2 id="prioritize-title">Prioritise the queue</h2>
      <form className="inline-form" onSubmit={(e) => {
        e.preventDefault();
        void start();
      }}>
        <label>
          Strategy
          <select value={strategy} onChange={(e) => setStrategy(e.target.value)} data-testid="prioritize-strategy"
            title="How the open items are ordered: model uncertainty, committee disagreement, or plain order">
            {STRATEGIES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary" data-testid="prioritize-start"
          disabled={phase.step === "starting" || phase.step === "running"}
          title="Score every open item with this strategy and reorder the queue">
          Start
        </button>
      </form>
      {note && (
        <p className="warn-text" role="status" data-testid="prioritize-note">
          {note}
        </p>
      )}
      {error && (
        <p className="error-text" role="alert" data-testid="prioritize-error">
          {error}
        </p>
      )}
      <JobLine phase={phase} noun="Prioritisation" testId="prioritize-job" />
      <FullQueue projectId={projectId} reload={reloadQueue} />
    </section>
  );
}

function FullQueue({ projectId, reload }: { projectId: number; reload: number }) {
  // Keyset pages: the cursors of the pages before this one, to go back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<QueuePage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1];
  useEffect(() => {
    let live = true;
    manager.queue(projectId, PAGE, cursor).then(
      (p) => live && setPage(p),
      (err: unknown) => live && setError(errorMessage(err)),
    );
    return () => {
      live = false;
    };
  }, [projectId, cursor, reload]);
  useEffect(() => setCursors([undefined]), [reload]);
  if (error) return <p className="muted">Queue not available: {error}</p>;
  if (!page) return <p>Loading the queue…</p>;
  const first = (cursors.length - 1) * PAGE;
  return (
    <div data-testid="full-queue" data-strategy={page.strategy}>
      <h3>Queue</h3>
      <p className="small">
        Ordered by <strong data-testid="full-queue-strategy">{page.strategy}</strong>
        {page.model_version && <> · model <span data-testid="full-queue-model">{page.model_version}</span></>}
        {page.computed_at && <span className="muted"> · {formatTime(page.computed_at)}</span>}
      </p>
      {page.results.length === 0 ? (
        <p className="muted">No open items.</p>
      ) : (
        <table className="compact">
          <caption className="sr-only">Prioritised queue, items {first + 1} to {first + page.results.length}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Item</th>
              <th scope="col">Score</th>
              <th scope="col">Open slots</th>
            </tr>
          </thead>
          <tbody>
            {page.results.map((e, i) => (
              <tr key={e.item_id} data-testid="full-queue-row" data-item-id={e.item_id}>
                <td className="num">{first + i + 1}</td>
                <td>{e.external_id}</td>
                <td className="num">{e.score.toFixed(4)}</td>
                <td className="num">{e.open_slots}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div className="actions">
        <button type="button" disabled={cursors.length <= 1} data-testid="full-queue-prev" title="Previous page"
          onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous
        </button>
        <button type="button" disabled={!page.next_cursor} data-testid="full-queue-next" title="Next page"
          onClick={() => page.next_cursor && setCursors((c) => [...c, page.next_cursor ?? undefined])}>
          Next
        </button>
      </div>
    </div>
  );
}
