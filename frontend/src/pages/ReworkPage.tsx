// The annotator's rework: annotations a reviewer rejected, with the comments pinned on the boxes. The annotator
// relabels, removes or redraws nothing they disagree with, and sends the corrected answer back to review.
import { useCallback, useState } from "react";
import { ApiError, errorMessage } from "../api";
import { isBboxPayload, type BboxPayload } from "../api/types";
import { review, type ReworkEntry } from "../api/review";
import { Layout } from "../components/Layout";
import { BoxEditor } from "../review/BoxEditor";
import { CommentList, ReviewOverlay } from "../review/ReviewOverlay";
import { applyFix, splitComments, type FixEdits } from "../review/reviewLogic";
import { Link } from "../router";
import { useAsync } from "../useAsync";

export function ReworkPage({ projectId }: { projectId: number }) {
  const list = useAsync(() => review.myRework(projectId), [projectId]);
  const entries = list.data?.results ?? [];
  return (
    <Layout title="Rework">
      <main className="page" data-testid="rework-page">
        <h1>Annotations to rework</h1>
        {list.error && (
          <p className="error" role="alert">
            {list.error}
          </p>
        )}
        {list.data && entries.length === 0 && (
          <p className="muted">
            Nothing to rework. <Link href={`/projects/${projectId}/label`}>Back to labeling</Link>
          </p>
        )}
        {entries[0] && <ReworkEditor key={entries[0].task.id} entry={entries[0]} onDone={list.reload} />}
      </main>
    </Layout>
  );
}

export function ReworkEditor({ entry, onDone }: { entry: ReworkEntry; onDone: () => void }) {
  const { task, rework } = entry;
  const [edits, setEdits] = useState<FixEdits>({ relabel: {}, remove: [] });
  const [startedAt] = useState(() => performance.now());
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const { byBox, other } = splitComments(rework.comments);
  const boxes = isBboxPayload(rework.payload) ? rework.payload.boxes : [];
  const [editing, setEditing] = useState(false);
  const [drawn, setDrawn] = useState<BboxPayload | null>(null);
  const onDrawn = useCallback((p: BboxPayload) => setDrawn(p), []);

  const send = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const answer = editing && drawn ? drawn : applyFix(rework.payload, edits);
      await review.submitRework(task.id, answer, performance.now() - startedAt);
      onDone();
    } catch (err) {
      setBusy(false);
      setMessage(
        err instanceof ApiError && err.status === 409 ? `${err.message} It is no longer needed.` : errorMessage(err),
      );
      if (err instanceof ApiError && err.status === 409) onDone();
    }
  };

  return (
    <section data-testid="rework-editor">
      <p className="muted small">Round {rework.round} · the reviewer's comments are numbered on the image.</p>
      <ReviewOverlay
        item={task.item}
        layers={[{ key: "answer", name: "Your answer", payload: rework.payload, color: "#1f77b4", width: 3 }]}
        pinned={rework.payload}
        comments={rework.comments}
      />
      <CommentList comments={rework.comments} />
      {boxes.length > 0 || isBboxPayload(rework.payload) ? (
        <button type="button" onClick={() => setEditing((e) => !e)} data-testid="toggle-box-editor">
          {editing ? "Back to the quick edits" : "Edit boxes (draw, move, resize)"}
        </button>
      ) : null}
      {editing && isBboxPayload(rework.payload) && (
        <BoxEditor
          item={task.item}
          labels={task.labels}
          initial={rework.payload.boxes}
          commented={[...byBox.keys()]}
          onChange={onDrawn}
        />
      )}
      {task.kind === "classification" && "label" in rework.payload && (
        <label>
          Class{" "}
          <select value={edits.label ?? rework.payload.label} onChange={(e) => setEdits({ ...edits, label: e.target.value })}>
            {task.labels.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
      )}
      {boxes.length > 0 && !editing && (
        <table className="data-table" data-testid="rework-boxes">
          <thead>
            <tr>
              <th>Box</th>
              <th>Label</th>
              <th>Remove</th>
              <th>Reviewer's comment</th>
            </tr>
          </thead>
          <tbody>
            {boxes.map((b, i) => (
              <tr key={i} data-testid="rework-box" data-commented={byBox.has(i) ? "yes" : "no"}>
                <td>{i + 1}</td>
                <td>
                  <select
                    value={edits.relabel[i] ?? b.label}
                    onChange={(e) => setEdits({ ...edits, relabel: { ...edits.relabel, [i]: e.target.value } })}
                    aria-label={`Label of box ${i + 1}`}
                  >
                    {task.labels.map((l) => (
                      <option key={l}>{l}</option>
                    ))}
                  </select>
                </td>
                <td>
                  <input
                    type="checkbox"
                    checked={edits.remove.includes(i)}
                    aria-label={`Remove box ${i + 1}`}
                    onChange={(e) =>
                      setEdits({
                        ...edits,
                        remove: e.target.checked ? [...edits.remove, i] : edits.remove.filter((x) => x !== i),
                      })
                    }
                  />
                </td>
                <td>{(byBox.get(i) ?? []).join(" · ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {other.length > 0 && <p className="muted small">{other.length} comment(s) on regions or the whole answer above.</p>}
      {message && (
        <p className="error" role="alert" data-testid="rework-message">
          {message}
        </p>
      )}
      <button type="button" className="primary" disabled={busy} onClick={() => void send()} data-testid="rework-submit">
        Send back to review
      </button>
    </section>
  );
}
