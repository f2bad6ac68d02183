import { useCallback, useEffect, useRef, useState } from "react";
import { auth, errorMessage, projects, tasks } from "../api";
import { review } from "../api/review";
import type { Draft, MyAnswer, OwnScore, Payload, Project, SubmitResult, Task } from "../api/types";
import { formatTime } from "../manager/format";
import { useAuth } from "../auth";
import { Layout } from "../components/Layout";
import type { DoneHow } from "../components/useSubmit";
import { effectiveHotkeys, labelDetails } from "../editor/labels";
import { Link } from "../router";
import { BboxWorkspace } from "./BboxWorkspace";
import { ClassificationWorkspace } from "./ClassificationWorkspace";

type Phase =
  | { kind: "loading" }
  | { kind: "task"; task: Task; draft: Draft | null; seq: number }
  | { kind: "done" }
  | { kind: "answers"; answers: MyAnswer[] }
  | { kind: "revise"; answer: MyAnswer; seq: number }
  | { kind: "error"; message: string };

/** An earlier answer as a task for the workspace to edit: the answer is its starting point. */
function answerTask(answer: MyAnswer, projectId: number): Task {
  return {
    id: answer.task_id,
    project_id: projectId,
    kind: answer.kind,
    labels: answer.labels,
    item: answer.item,
    pre_annotation: answer.payload,
    status: "submitted",
    lease_expires_at: answer.editable_until ?? answer.submitted_at,
    served_at: answer.submitted_at,
  };
}

/** The own score is fetched again after this many submissions (never per task: that would tell benchmarks). */
export const SCORE_BATCH = 10;

export function WorkspacePage({ projectId }: { projectId: number }) {
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });
  const [lastResult, setLastResult] = useState<string | null>(null);
  const [submittedCount, setSubmittedCount] = useState(0);
  const [project, setProject] = useState<Project | null>(null);
  const [score, setScore] = useState<OwnScore | null>(null);
  const loads = useRef(0);
  const { me, setMe } = useAuth();
  const projectName =
    project?.name ?? me.memberships.find((m) => m.project_id === projectId)?.project_name ?? `project ${projectId}`;

  useEffect(() => {
    let live = true;
    projects.get(projectId).then(
      (p) => live && setProject(p),
      () => undefined, // the workspace works with the task's labels alone
    );
    return () => {
      live = false;
    };
  }, [projectId]);

  // Answers a reviewer sent back: reworked in this same workspace, from the rework link.
  // Asked once the first task request has answered (never racing the dispatch's write).
  const [reworkCount, setReworkCount] = useState(0);
  const settled = phase.kind !== "loading";
  const reworkAsked = useRef(false);
  useEffect(() => {
    if (!settled || reworkAsked.current) return;
    reworkAsked.current = true;
    review.myRework(projectId).then(
      (r) => setReworkCount(r.count),
      () => undefined, // review off or unreachable: no link
    );
  }, [settled, projectId]);

  const refreshScore = useCallback(() => {
    projects.myScore(projectId).then(setScore, () => setScore(null)); // 403: the project does not show it
  }, [projectId]);
  // Once per visit (a 403 means the project does not show scores), then after every SCORE_BATCH submissions.
  useEffect(() => refreshScore(), [refreshScore]);

  const loadNext = useCallback(async () => {
    setPhase({ kind: "loading" });
    try {
      const task = await tasks.next(projectId);
      if (!task) return setPhase({ kind: "done" });
      const draft = await tasks.draft(task.id).catch(() => null);
      loads.current += 1;
      setPhase({ kind: "task", task, draft, seq: loads.current });
    } catch (err) {
      setPhase({ kind: "error", message: errorMessage(err) });
    }
  }, [projectId]);

  useEffect(() => {
    void loadNext();
  }, [loadNext]);

  const revise = async (taskId: Task["id"], payload: Payload, ms: number): Promise<SubmitResult> => {
    const done = await tasks.revise(taskId, payload, ms);
    return { annotation_id: 0, task_id: done.task_id, findings: done.findings } as SubmitResult;
  };

  const openAnswers = async () => {
    try {
      setPhase({ kind: "answers", answers: await tasks.myAnswers(projectId) });
    } catch (err) {
      setPhase({ kind: "error", message: errorMessage(err) });
    }
  };

  const onRevised = (_result: SubmitResult | null, how: DoneHow) => {
    setLastResult(how === "submitted" ? "Your earlier answer was changed (the previous version is kept)." : null);
    // Back to the open task: next-task gives it again, with its draft.
    void loadNext();
  };

  const onDone = (result: SubmitResult | null, how: DoneHow) => {
    if (how === "submitted" && result) {
      const count = submittedCount + 1;
      setSubmittedCount(count);
      const warnings = result.findings?.length ?? 0;
      setLastResult(
        warnings
          ? `Submitted, with ${warnings} warning${warnings === 1 ? "" : "s"}: ${result.findings.map((f) => f.message).join(" ")}`
          : "Submitted. Here is the next task.",
      );
      if (count % SCORE_BATCH === 0) refreshScore();
    } else if (how === "skipped") {
      setLastResult("Skipped: the task went back to the queue. Here is the next one.");
    } else {
      setLastResult("That task was already closed. Here is the next one.");
    }
    void loadNext();
  };

  const details = project ? labelDetails(project.labels, project.label_details) : null;
  const remap = me.preferences?.hotkeys?.[String(projectId)] ?? {};
  const labels = details
    ? (() => {
        const keys = effectiveHotkeys(details, remap);
        return details.map((d) => ({ ...d, hotkey: keys[d.name] ?? null }));
      })()
    : undefined;
  const onRemap = async (keys: Record<string, string | null>) => {
    const preferences = await auth.setHotkeys({ [String(projectId)]: keys });
    setMe({ ...me, preferences });
  };

  return (
    <Layout
      title={
        <span>
          Labeling · {projectName}
          {submittedCount > 0 && <span className="muted"> · {submittedCount} submitted this session</span>}
          {score && score.n > 0 && score.accuracy !== null && (
            <span
              className="own-score"
              data-testid="own-score"
              title="Your benchmark score: updated in batches, not after every task"
            >
              {" "}
              · Your score {Math.round(score.accuracy * 100)}% ({Math.round(score.low * 100)}–
              {Math.round(score.high * 100)}%)
            </span>
          )}
          <span className="status-note" role="status" data-testid="last-submit-status" title={lastResult ?? undefined}>
            {lastResult}
          </span>
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
      {phase.kind === "answers" && (
        <main className="page" data-testid="answers-page">
          <h1>Your recent answers</h1>
          <p className="muted">You can change an answer for a while after submitting it, as the project allows.</p>
          {phase.answers.length === 0 ? (
            <p data-testid="answers-empty">You have not submitted anything yet in this project.</p>
          ) : (
            <table className="compact">
              <caption className="sr-only">Your recent answers, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Submitted</th>
                  <th scope="col">Item</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {phase.answers.map((a) => (
                  <tr key={String(a.task_id)} data-testid="answer-row" data-task-id={a.task_id} data-editable={a.editable}>
                    <td>{formatTime(a.submitted_at)}</td>
                    <td>{a.kind === "classification" && "label" in a.payload ? `Label ${a.payload.label}` : `${"boxes" in a.payload ? a.payload.boxes.length : 0} boxes`}</td>
                    <td>
                      {a.editable ? (
                        <button type="button" data-testid="answer-change" title="Open this answer to change it"
                          onClick={() => {
                            loads.current += 1;
                            setPhase({ kind: "revise", answer: a, seq: loads.current });
                          }}>
                          Change
                        </button>
                      ) : (
                        <span className="muted">No longer editable</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <button type="button" className="primary" onClick={() => void loadNext()} data-testid="answers-back"
            title="Back to the task you were on">
            Back to labeling
          </button>
        </main>
      )}
      {phase.kind === "revise" &&
        (phase.answer.kind === "classification" ? (
          <ClassificationWorkspace
            key={`revise-${phase.seq}`}
            task={answerTask(phase.answer, projectId)}
            labels={labels}
            instructions={project?.instructions}
            revise={revise}
            onDone={onRevised}
          />
        ) : (
          <BboxWorkspace
            key={`revise-${phase.seq}`}
            task={answerTask(phase.answer, projectId)}
            labels={labels}
            instructions={project?.instructions}
            revise={revise}
            onDone={onRevised}
          />
        ))}
      {reworkCount > 0 && (
        <p className="notice" role="status" data-testid="rework-notice">
          A reviewer sent {reworkCount === 1 ? "an answer" : `${reworkCount} answers`} back to you.{" "}
          <Link href={`/projects/${projectId}/rework`} data-testid="rework-link">
            Rework {reworkCount === 1 ? "it" : "them"}
          </Link>
        </p>
      )}
      {phase.kind === "task" && phase.task.phase === "qualification" && (
        <p className="notice" role="status" data-testid="qualification-notice">
          Qualification: your first tasks in this project are checked against known answers.
        </p>
      )}
      {phase.kind === "task" &&
        (phase.task.kind === "classification" ? (
          <ClassificationWorkspace
            key={`${phase.task.id}-${phase.seq}`}
            task={phase.task}
            draft={phase.draft}
            labels={labels}
            instructions={project?.instructions}
            onRemap={onRemap}
            onPrevious={() => void openAnswers()}
            onDone={onDone}
          />
        ) : (
          <BboxWorkspace
            key={`${phase.task.id}-${phase.seq}`}
            task={phase.task}
            draft={phase.draft}
            labels={labels}
            instructions={project?.instructions}
            onRemap={onRemap}
            onPrevious={() => void openAnswers()}
            onDone={onDone}
          />
        ))}
    </Layout>
  );
}
