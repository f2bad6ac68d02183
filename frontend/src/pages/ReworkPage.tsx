// The annotator's rework, in the labeling workspace itself: the rejected answer is the starting point, the
// reviewer's comments are pinned over the image (and listed beside it), the same live lint runs as on any task,
// and Submit sends the corrected answer back to review. One rework at a time, oldest first.
import { useEffect, useState } from "react";
import { projects } from "../api";
import type { Payload, Project, SubmitResult, Task } from "../api/types";
import { review, type ReworkEntry } from "../api/review";
import { Layout } from "../components/Layout";
import type { DoneHow } from "../components/useSubmit";
import { labelDetails } from "../editor/labels";
import { Link } from "../router";
import { useAsync } from "../useAsync";
import { BboxWorkspace } from "./BboxWorkspace";
import { ClassificationWorkspace } from "./ClassificationWorkspace";

/** Sends a rework through the workspace's submit path (its 400 findings and 409 handled there). */
async function sendRework(taskId: string, payload: Payload, timeSpentMs: number): Promise<SubmitResult> {
  const done = await review.submitRework(taskId, payload, timeSpentMs);
  return { annotation_id: 0, task_id: taskId, findings: done.findings ?? [] } as SubmitResult;
}

export function ReworkPage({ projectId }: { projectId: number }) {
  const list = useAsync(() => review.myRework(projectId), [projectId]);
  const [project, setProject] = useState<Project | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const entries = list.data?.results ?? [];

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

  const onDone = (_result: SubmitResult | null, how: DoneHow) => {
    setStatus(
      how === "closed"
        ? "That item was resolved elsewhere while it was with you: your rework is not needed."
        : "Sent back to review.",
    );
    list.reload();
  };

  const labels = project ? labelDetails(project.labels, project.label_details) : undefined;
  return (
    <Layout
      title={
        <span>
          Rework{entries.length > 0 && <span className="muted"> · {entries.length} waiting</span>}
          <span className="status-note" role="status" data-testid="rework-status">
            {status}
          </span>
        </span>
      }
    >
      {list.error && (
        <p className="page error" role="alert">
          {list.error}
        </p>
      )}
      {list.data && entries.length === 0 && (
        <main className="page" data-testid="rework-empty">
          <p>
            Nothing to rework. <Link href={`/projects/${projectId}/label`}>Back to labeling</Link>
          </p>
        </main>
      )}
      {entries[0] && (
        <ReworkWorkspace
          key={`${entries[0].task.id}-${entries[0].rework.round}`}
          entry={entries[0]}
          labels={labels}
          instructions={project?.instructions}
          onDone={onDone}
        />
      )}
    </Layout>
  );
}

export function ReworkWorkspace({
  entry,
  labels,
  instructions,
  onDone,
}: {
  entry: ReworkEntry;
  labels?: ReturnType<typeof labelDetails>;
  instructions?: string;
  onDone: (result: SubmitResult | null, how: DoneHow) => void;
}) {
  // The rejected answer is where the annotator starts (like changing an earlier answer).
  const task: Task = { ...entry.task, pre_annotation: entry.rework.payload };
  const rework = {
    round: entry.rework.round,
    comments: entry.rework.comments,
    pinned: entry.rework.payload,
    rejected: entry.rework.rejected_objects ?? [],
  };
  const Workspace = task.kind === "classification" ? ClassificationWorkspace : BboxWorkspace;
  return (
    <Workspace
      task={task}
      labels={labels}
      instructions={instructions}
      revise={sendRework}
      rework={rework}
      onDone={onDone}
    />
  );
}
