import { useCallback, useEffect, useRef, useState } from "react";
import { errorMessage, tasks } from "../api";
import type { SubmitResult, Task } from "../api/types";
import { useAuth } from "../auth";
import { Layout } from "../components/Layout";
import { Link } from "../router";
import { BboxWorkspace } from "./BboxWorkspace";
import { ClassificationWorkspace } from "./ClassificationWorkspace";

type Phase =
  | { kind: "loading" }
  | { kind: "task"; task: Task; seq: number }
  | { kind: "done" }
  | { kind: "error"; message: string };

export function WorkspacePage({ projectId }: { projectId: number }) {
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });
  const [lastResult, setLastResult] = useState<string | null>(null);
  const [submittedCount, setSubmittedCount] = useState(0);
  const loads = useRef(0);
  const { me } = useAuth();
  const projectName = me.memberships.find((m) => m.project_id === projectId)?.project_name ?? `project ${projectId}`;

  const loadNext = useCallback(async () => {
    setPhase({ kind: "loading" });
    try {
      const task = await tasks.next(projectId);
      loads.current += 1;
      setPhase(task ? { kind: "task", task, seq: loads.current } : { kind: "done" });
    } catch (err) {
      setPhase({ kind: "error", message: errorMessage(err) });
    }
  }, [projectId]);

  useEffect(() => {
    void loadNext();
  }, [loadNext]);

  const onDone = (result: SubmitResult | null) => {
    if (result) {
      setSubmittedCount((n) => n + 1);
      const warnings = result.findings?.length ?? 0;
      setLastResult(warnings ? `Submitted with ${warnings} warning${warnings === 1 ? "" : "s"}.` : "Submitted.");
    } else {
      setLastResult(null);
    }
    void loadNext();
  };

  return (
    <Layout
      title={
        <span>
          Labeling · {projectName}
          {submittedCount > 0 && <span className="muted"> · {submittedCount} submitted this session</span>}
          {lastResult && (
            <span className="status-note" role="status" data-testid="last-submit-status">
              {lastResult}
            </span>
          )}
        </span>
      }
    >
      {phase.kind === "loading" && (
        <p className="page" data-testid="task-loading">
          Loading the next task…
        </p>
      )}
      {phase.kind === "error" && (
        <div className="page">
          <p className="error" role="alert" data-testid="task-error">
            {phase.message}
          </p>
          <button type="button" onClick={() => void loadNext()}>
            Try again
          </button>
        </div>
      )}
      {phase.kind === "done" && (
        <main className="page done-screen" data-testid="done-screen">
          <h1>All done</h1>
          <p>There are no more tasks for you in this project right now. Thank you!</p>
          <div className="actions">
            <button type="button" onClick={() => void loadNext()} data-testid="done-check-again">
              Check again
            </button>
            <Link href="/" className="button primary">
              Back to my projects
            </Link>
          </div>
        </main>
      )}
      {phase.kind === "task" &&
        (phase.task.kind === "classification" ? (
          <ClassificationWorkspace key={`${phase.task.id}-${phase.seq}`} task={phase.task} onDone={onDone} />
        ) : (
          <BboxWorkspace key={`${phase.task.id}-${phase.seq}`} task={phase.task} onDone={onDone} />
        ))}
    </Layout>
  );
}
