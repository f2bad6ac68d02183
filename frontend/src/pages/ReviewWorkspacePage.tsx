// Reviewers' workspace: the review queue in the chosen order and, for the selected review, the image with the
// annotation (pre-annotation and other answers toggled), per-box comments, relabel / remove fixes, a verdict per
// box (select it with 1-9 or its row, then A / R) and accept (A) / reject (R) / fix (F) of the whole with hotkeys.
// Reviews are blind: no annotator name is shown.
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, errorMessage } from "../api";
import { isBboxPayload, type BboxPayload } from "../api/types";
import { review, REVIEW_ORDERS, type ReviewOrder } from "../api/review";
import { Legend, type OverlayLayer } from "../components/AnnotationOverlay";
import { BoxEditor } from "../review/BoxEditor";
import { CommentList, ReviewOverlay } from "../review/ReviewOverlay";
import {
  applyFix,
  boxHotkey,
  buildComments,
  buildVerdicts,
  commentsBesideVerdicts,
  formatScore,
  reviewHotkey,
  reviewHotkeysFor,
  verdictDecision,
  type FixEdits,
  type Verdicts,
} from "../review/reviewLogic";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

const ORDER_NAMES: Record<ReviewOrder, string> = {
  suspicion: "Most suspicious first",
  agreement: "Lowest agreement first",
  model_confidence: "Lowest model confidence first",
  age: "Oldest first",
};

export function ReviewWorkspacePage({ projectId }: { projectId: number }) {
  const [order, setOrder] = useState<ReviewOrder | undefined>(undefined);
  const queue = useAsync(() => review.queue(projectId, order), [projectId, order]);
  const [selected, setSelected] = useState<number | null>(null);
  /** After an action (or J) the next review takes the keyboard focus, so the keys go on working there. */
  const [focusNext, setFocusNext] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const rows = queue.data?.results ?? [];
  const current = selected ?? rows[0]?.id ?? null;
  // The review the panel shows follows `current` once the queue has settled: after an action the next
  // review opens when the reloaded queue is in, not beside its request.
  const [shown, setShown] = useState<number | null>(null);
  useEffect(() => {
    if (!queue.loading) setShown(current);
  }, [current, queue.loading]);
  const next = () => {
    const index = rows.findIndex((r) => r.id === current);
    setSelected(rows[index + 1]?.id ?? null);
    setFocusNext(true);
    queue.reload();
  };
  // The queue ran out after an action: the focus goes to the page's heading, not lost to the window.
  useEffect(() => {
    if (focusNext && queue.data && rows.length === 0) heading.current?.focus();
  }, [focusNext, queue.data, rows.length]);

  return (
    <ManagerPage projectId={projectId} tab="reviews">
      {() => (
        <section className="review-workspace" data-testid="review-workspace">
          <h1 tabIndex={-1} ref={heading}>
            Reviews
          </h1>
          <label>
            Order{" "}
            <select
              value={order ?? queue.data?.order ?? "suspicion"}
              onChange={(e) => {
                setOrder(e.target.value as ReviewOrder);
                setFocusNext(false);
              }}
              data-testid="review-order"
            >
              {REVIEW_ORDERS.map((o) => (
                <option key={o} value={o}>
                  {ORDER_NAMES[o]}
                </option>
              ))}
            </select>
          </label>
          {queue.error && (
            <p className="error" role="alert">
              {queue.error}
            </p>
          )}
          {queue.data && rows.length === 0 && <p className="muted">Nothing waiting for review.</p>}
          <div className="review-columns" style={{ display: "flex", gap: "1rem", alignItems: "flex-start" }}>
            <ol className="review-queue" data-testid="review-queue">
              {rows.map((row) => (
                <li key={row.id}>
                  <button
                    type="button"
                    className={row.id === current ? "link active" : "link"}
                    aria-current={row.id === current ? "true" : undefined}
                    onClick={() => {
                      setSelected(row.id);
                      setFocusNext(false);
                    }}
                    data-testid="review-queue-row"
                    data-review-id={row.id}
                  >
                    Item {row.item.id} · round {row.round} · suspicion {formatScore(row.suspicion)}
                  </button>
                </li>
              ))}
            </ol>
            {shown !== null && (
              <ReviewPanel
                key={shown}
                projectId={projectId}
                reviewId={shown}
                onDone={next}
                focusOnOpen={focusNext}
              />
            )}
          </div>
        </section>
      )}
    </ManagerPage>
  );
}

export function ReviewPanel({
  projectId,
  reviewId,
  onDone,
  focusOnOpen = false,
}: {
  projectId: number;
  reviewId: number;
  onDone: () => void;
  /** Take the keyboard focus once loaded (the review follows one the reviewer just finished). */
  focusOnOpen?: boolean;
}) {
  // Opening (not merely listing) starts the reviewer's working time; a review someone else already
  // closed is shown read-only from the plain detail.
  const detail = useAsync(
    () =>
      review.open(projectId, reviewId).catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 409) return review.detail(projectId, reviewId);
        throw error;
      }),
    [projectId, reviewId],
  );
  const [hidden, setHidden] = useState<Set<string>>(new Set(["pre", "others"]));
  const [boxNotes, setBoxNotes] = useState<Record<number, string>>({});
  const [whole, setWhole] = useState("");
  const [edits, setEdits] = useState<FixEdits>({ relabel: {}, remove: [] });
  /** Per-box verdicts (by box index) and the box the A / R keys judge (null: they judge the whole). */
  const [verdicts, setVerdicts] = useState<Verdicts>({});
  const [selectedBox, setSelectedBox] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  /** Boxes drawn, moved or resized in the editor (null: the editor is closed; the table's edits apply). */
  const [drawn, setDrawn] = useState<BboxPayload | null>(null);
  const [editing, setEditing] = useState(false);
  const onDrawn = useCallback((p: BboxPayload) => setDrawn(p), []);
  const d = detail.data;
  const title = useRef<HTMLHeadingElement>(null);
  const loaded = d !== null;
  useEffect(() => {
    if (loaded && focusOnOpen) title.current?.focus();
  }, [loaded, focusOnOpen]);

  const toggle = (key: string) =>
    setHidden((old) => {
      const next = new Set(old);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  const nBoxes = d && isBboxPayload(d.payload) ? d.payload.boxes.length : 0;

  const judgeBox = (box: number, verdict: "accepted" | "rejected" | null) => {
    setVerdicts((old) => {
      const next = { ...old };
      if (verdict === null || old[box] === verdict) delete next[box];
      else next[box] = verdict;
      return next;
    });
    setMessage(null);
  };

  /** Sends the box verdicts, with the whole decision given (A / R) or following from the boxes (D). */
  const decide = async (given?: "accept" | "reject") => {
    if (!d || busy) return;
    const outcome = verdictDecision(verdicts, nBoxes, given);
    if ("error" in outcome) {
      setMessage(outcome.error);
      return;
    }
    const comments = commentsBesideVerdicts(verdicts, boxNotes, whole);
    const objects = buildVerdicts(verdicts, boxNotes);
    if (outcome.decision === "reject" && comments.length === 0 && !objects.some((o) => o.verdict === "rejected")) {
      setMessage("Write at least one comment for the annotator before rejecting.");
      return;
    }
    await send(() =>
      review.decide(projectId, reviewId, {
        round: d.round,
        objects,
        comments,
        ...(given ? { decision: given } : {}),
      }),
    );
  };

  const send = async (request: () => Promise<unknown>) => {
    setBusy(true);
    setMessage(null);
    try {
      await request();
      onDone();
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 409) {
        setMessage("Another reviewer acted on this review first.");
        onDone();
      } else {
        setMessage(errorMessage(err));
      }
    }
  };

  const act = async (action: "accept" | "reject" | "fix") => {
    if (!d || busy) return;
    if (Object.keys(verdicts).length > 0) {
      if (action === "fix") {
        setMessage("A fix replaces the boxes: clear the box verdicts first, or accept / reject.");
        return;
      }
      await decide(action);
      return;
    }
    const comments = buildComments(boxNotes, whole);
    if (action === "reject" && comments.length === 0) {
      setMessage("Write at least one comment for the annotator before rejecting.");
      return;
    }
    const fixed = editing && drawn ? drawn : applyFix(d.payload, edits);
    if (action === "fix" && JSON.stringify(fixed) === JSON.stringify(d.payload)) {
      setMessage("Nothing to fix: relabel or remove a box first.");
      return;
    }
    await send(() =>
      review.act(projectId, reviewId, action, {
        round: d.round,
        comments,
        ...(action === "fix" ? { payload: fixed } : {}),
      }),
    );
  };

  /** A / R: with a box selected, its verdict (the selection moves on to the next box); else the whole. */
  const onKeyAction = (action: "accept" | "reject" | "fix" | "decide") => {
    if (action === "decide") void decide();
    else if (action !== "fix" && selectedBox !== null) {
      judgeBox(selectedBox, action === "accept" ? "accepted" : "rejected");
      setSelectedBox(selectedBox + 1 < nBoxes ? selectedBox + 1 : null);
    } else void act(action);
  };

  const latest = useRef(onKeyAction);
  latest.current = onKeyAction;
  const boxCount = useRef(nBoxes);
  boxCount.current = nBoxes;
  const kind = d?.kind ?? "bbox";
  const kindRef = useRef(kind);
  kindRef.current = kind;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const box = boxHotkey(e, boxCount.current);
      if (box !== null) {
        e.preventDefault();
        setSelectedBox((old) => (old === box ? null : box));
        return;
      }
      const action = reviewHotkey(e, kindRef.current);
      if (!action) return;
      e.preventDefault();
      if (action === "toggle-pre") toggle("pre");
      else if (action === "toggle-others") toggle("others");
      else if (action === "next") onDone();
      else if (action === "deselect") setSelectedBox(null);
      else latest.current(action);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onDone]);

  if (detail.error)
    return (
      <p className="error" role="alert">
        {detail.error}
      </p>
    );
  if (!d) return <p>Loading…</p>;

  const layers: OverlayLayer[] = [
    { key: "answer", name: "Annotation", payload: d.payload, color: "#1f77b4", width: 3 },
    { key: "pre", name: "Pre-annotation", payload: d.pre_annotation, color: "#2ca02c", dash: "6 4" },
    ...d.other_answers.map((a, i) => ({
      key: i === 0 ? "others" : `others-${i}`,
      name: `Other answer ${i + 1}`,
      payload: a.payload,
      color: "#9467bd",
      dash: "2 3",
    })),
  ];
  const shown = layers.filter((l) => !hidden.has(l.key) && !(l.key.startsWith("others-") && hidden.has("others")));
  const pins = buildComments(boxNotes, whole);
  const judged = Object.keys(verdicts).length;
  const boxes = isBboxPayload(d.payload) ? d.payload.boxes : [];

  return (
    <div className="review-panel" data-testid="review-panel" data-review-id={reviewId} style={{ flex: 1 }}>
      <h2 tabIndex={-1} ref={title} className="review-title" data-testid="review-title">
        Item {d.item.id}
      </h2>
      <p className="muted small">
        Round {d.round} · agreement {formatScore(d.agreement)} · model confidence {formatScore(d.model_confidence)}
      </p>
      <Legend layers={layers.filter((l) => !l.key.startsWith("others-"))} hidden={hidden} onToggle={toggle} />
      <ReviewOverlay
        item={d.item}
        layers={shown}
        pinned={d.payload}
        comments={pins}
        verdicts={verdicts}
        selectedBox={selectedBox}
      />
      {isBboxPayload(d.payload) && (
        <button type="button" onClick={() => setEditing((e) => !e)} data-testid="toggle-box-editor">
          {editing ? "Close the box editor" : "Edit boxes (draw, move, resize)"}
        </button>
      )}
      {editing && isBboxPayload(d.payload) && (
        <BoxEditor item={d.item} labels={d.labels} initial={d.payload.boxes} commented={[]} onChange={onDrawn} />
      )}
      {d.kind === "classification" && "label" in d.payload && (
        <label>
          Class{" "}
          <select
            value={edits.label ?? d.payload.label}
            onChange={(e) => setEdits({ ...edits, label: e.target.value })}
            data-testid="fix-class"
          >
            {d.labels.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
      )}
      {boxes.length > 0 && (
        <table className="data-table" data-testid="review-boxes">
          <thead>
            <tr>
              <th>Box</th>
              <th>Verdict</th>
              <th>Label</th>
              <th>Remove</th>
              <th>Comment for the annotator</th>
            </tr>
          </thead>
          <tbody>
            {boxes.map((b, i) => (
              <tr
                key={i}
                className={selectedBox === i ? "selected" : undefined}
                data-testid="review-box-row"
                data-index={i + 1}
                data-verdict={verdicts[i] ?? ""}
              >
                <td>
                  <button
                    type="button"
                    className="link"
                    aria-pressed={selectedBox === i}
                    aria-label={`Select box ${i + 1} (then A or R)`}
                    onClick={() => setSelectedBox(selectedBox === i ? null : i)}
                    data-testid="review-box-select"
                  >
                    {i + 1}
                  </button>
                </td>
                <td>
                  <span role="group" aria-label={`Verdict on box ${i + 1}`} className="verdict-buttons">
                    <button
                      type="button"
                      aria-pressed={verdicts[i] === "accepted"}
                      aria-label={`Accept box ${i + 1}`}
                      className={verdicts[i] === "accepted" ? "verdict accepted" : "verdict"}
                      onClick={() => judgeBox(i, "accepted")}
                      data-testid="box-accept"
                    >
                      ✓
                    </button>
                    <button
                      type="button"
                      aria-pressed={verdicts[i] === "rejected"}
                      aria-label={`Reject box ${i + 1}`}
                      className={verdicts[i] === "rejected" ? "verdict rejected" : "verdict"}
                      onClick={() => judgeBox(i, "rejected")}
                      data-testid="box-reject"
                    >
                      ✗
                    </button>
                  </span>
                </td>
                <td>
                  <select
                    value={edits.relabel[i] ?? b.label}
                    onChange={(e) => setEdits({ ...edits, relabel: { ...edits.relabel, [i]: e.target.value } })}
                    aria-label={`Label of box ${i + 1}`}
                    data-testid="box-relabel"
                  >
                    {d.labels.map((l) => (
                      <option key={l}>{l}</option>
                    ))}
                  </select>
                </td>
                <td>
                  <input
                    type="checkbox"
                    checked={edits.remove.includes(i)}
                    onChange={(e) =>
                      setEdits({
                        ...edits,
                        remove: e.target.checked ? [...edits.remove, i] : edits.remove.filter((x) => x !== i),
                      })
                    }
                    aria-label={`Remove box ${i + 1}`}
                    data-testid="box-remove"
                  />
                </td>
                <td>
                  <input
                    type="text"
                    value={boxNotes[i] ?? ""}
                    onChange={(e) => setBoxNotes({ ...boxNotes, [i]: e.target.value })}
                    aria-label={`Comment on box ${i + 1}`}
                    data-testid="box-comment"
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <label>
        Comment on the whole annotation
        <textarea value={whole} onChange={(e) => setWhole(e.target.value)} data-testid="whole-comment" />
      </label>
      {message && (
        <p className="error" role="alert" data-testid="review-message">
          {message}
        </p>
      )}
      {judged > 0 && (
        <p className="muted small" role="status" data-testid="verdict-summary">
          {judged} of {boxes.length} boxes judged ·{" "}
          {Object.values(verdicts).filter((v) => v === "rejected").length} rejected
        </p>
      )}
      <div className="actions">
        <button type="button" className="primary" disabled={busy} onClick={() => void act("accept")}
          data-testid="review-accept">
          Accept (A)
        </button>
        <button type="button" disabled={busy} onClick={() => void act("fix")} data-testid="review-fix">
          Save fix (F)
        </button>
        <button type="button" disabled={busy} onClick={() => void act("reject")} data-testid="review-reject">
          Reject (R)
        </button>
        {judged > 0 && (
          <button type="button" disabled={busy} onClick={() => void decide()} data-testid="review-decide">
            Send box verdicts (D)
          </button>
        )}
      </div>
      <p className="muted small" data-testid="review-hotkeys">
        {[
          ...(boxes.length > 0 ? ["1-9: Select a box (its verdict with A or R)"] : []),
          ...reviewHotkeysFor(d.kind).map((h) => `${h.key === "escape" ? "Esc" : h.key.toUpperCase()}: ${h.help}`),
        ].join(" · ")}
      </p>
      {d.history.length > 0 && (
        <section data-testid="review-history">
          <h2>History</h2>
          <ol>
            {d.history.map((h, i) => (
              <li key={i}>
                Round {h.round}: {h.action} by {h.by ?? "—"}
                {h.objects_changed ? ` (${h.objects_changed} objects changed)` : ""}
                {h.objects && h.objects.length > 0 && (
                  <span data-testid="history-verdicts">
                    {" "}
                    · {h.objects.length} boxes judged, rejected:{" "}
                    {h.objects
                      .filter((o) => o.verdict === "rejected")
                      .map((o) => `box ${o.box + 1}`)
                      .join(", ") || "none"}
                  </span>
                )}
                <CommentList comments={h.comments} />
              </li>
            ))}
          </ol>
        </section>
      )}
    </div>
  );
}
