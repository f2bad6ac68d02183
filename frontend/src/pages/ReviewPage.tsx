import { useRef, useState } from "react";
import { errorMessage, manager } from "../api";
import type { Conflict, Project, ReviewAnswer, ReviewItem } from "../api/types";
import { AnnotationOverlay, describePayload, type OverlayLayer } from "../components/AnnotationOverlay";
import { useFreshImage } from "../components/freshImage";
import { ImageFailed } from "../components/ImageFailed";
import { formatCoefficient } from "../components/IntervalBar";
import { ClientPager, pageOf } from "../components/Pager";
import { previewUrl } from "../editor/imageLevel";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

const ANSWER_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];
const ANSWER_DASHES = [undefined, "6 4", "2 3", "10 3 2 3", undefined, "6 4"];
/** The server's default for `max_alpha` (annotation_qc/agreement/apis.py). */
export const DEFAULT_MAX_ALPHA = 0.667;
/**
 * How many items to ask for: the server's default `limit` (annotation_qc/agreement/apis.py). The endpoint returns a
 * plain list of the lowest-scoring items with no offset, so the page holds it whole and shows it a page at a time.
 */
export const REVIEW_LIMIT = 100;
export const REVIEW_PAGE_SIZE = 20;

export function ReviewPage({ projectId }: { projectId: number }) {
  const [maxAlphaText, setMaxAlphaText] = useState("");
  const [maxAlpha, setMaxAlpha] = useState<number | undefined>(undefined);
  const items = useAsync(() => manager.agreementItems(projectId, maxAlpha, REVIEW_LIMIT), [projectId, maxAlpha]);
  /** Items resolved here, with the chosen answer: kept across pages (the list is not reloaded). */
  const [chosen, setChosen] = useState<Map<number, number>>(new Map());
  const [page, setPage] = useState(1);
  const listRef = useRef<HTMLUListElement>(null);
  const all = items.data ?? [];
  const shown = pageOf(all, page, REVIEW_PAGE_SIZE);
  const turn = (next: number) => {
    setPage(next);
    listRef.current?.scrollIntoView?.({ block: "start" });
  };

  return (
    <ManagerPage projectId={projectId} tab="review">
      {(project) => (
        <section data-testid="review-page">
          <h1>Low-agreement items to review</h1>
          <p className="muted">
            Items of the latest agreement report whose annotators disagree most, lowest agreement first. Choosing an
            answer settles the item's final label (and can make it a gold item for benchmarks).
          </p>
          <form
            className="filters"
            onSubmit={(e) => {
              e.preventDefault();
              const v = Number(maxAlphaText);
              setMaxAlpha(maxAlphaText.trim() === "" || Number.isNaN(v) ? undefined : v);
              setPage(1);
            }}
          >
            <label>
              Agreement score at most
              <input
                type="number"
                step="0.05"
                min="-1"
                max="1"
                value={maxAlphaText}
                placeholder={`${DEFAULT_MAX_ALPHA} (default)`}
                onChange={(e) => setMaxAlphaText(e.target.value)}
                data-testid="review-max-alpha"
              />
            </label>
            <button type="submit">Apply</button>
          </form>
          {items.error && (
            <p className="error" role="alert">
              {items.error}
            </p>
          )}
          {items.data && items.data.length === 0 && <p className="muted">Nothing to review.</p>}
          {all.length >= REVIEW_LIMIT && (
            <p className="muted small" data-testid="review-truncated">
              The {REVIEW_LIMIT} lowest-scoring items; lower the score above to reach the others.
            </p>
          )}
          <ul className="review-list" data-testid="review-list" ref={listRef}>
            {shown.rows.map((item) => (
              <ReviewCard
                key={item.item.id}
                project={project}
                item={item}
                resolved={item.resolved || chosen.has(item.item.id)}
                chosen={chosen.get(item.item.id) ?? null}
                onResolved={(annotationId) => setChosen((m) => new Map(m).set(item.item.id, annotationId))}
              />
            ))}
          </ul>
          <ClientPager total={all.length} page={shown.page} size={REVIEW_PAGE_SIZE} onPage={turn} testIdPrefix="review" />
        </section>
      )}
    </ManagerPage>
  );
}

/** One line per conflict, in the annotators' names: "annotator1: 4, annotator2: 7". */
export function describeConflict(conflict: Conflict, names: Map<number, string>): string {
  const who = (id: number) => names.get(id) ?? `user ${id}`;
  const kind = conflict.kind.replace(/_/g, " ");
  const side = (id: number, label: string | null, box: number[] | null) =>
    `${who(id)}: ${label ?? (box ? "a box" : "nothing")}`;
  const iou = conflict.iou === null ? "" : ` (IoU ${conflict.iou.toFixed(2)})`;
  return `${kind}: ${side(conflict.annotator, conflict.label, conflict.box)} vs ${side(conflict.peer, conflict.peer_label, conflict.peer_box)}${iou}`;
}

function ReviewCard({
  project,
  item,
  resolved,
  chosen,
  onResolved,
}: {
  project: Project;
  item: ReviewItem;
  resolved: boolean;
  /** The answer chosen here (null: none, or chosen before this page was opened). */
  chosen: number | null;
  onResolved: (annotationId: number) => void;
}) {
  const [makeGold, setMakeGold] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const names = new Map(item.annotations.map((a) => [a.annotator_id, a.annotator]));
  // Only this item's conflicts (older reports could list a neighbour's).
  const conflicts = item.conflicts.filter((c) => c.item === item.item.id);
  const layers: OverlayLayer[] = item.annotations.map((a, i) => ({
    key: `a${a.annotation_id}`,
    name: a.annotator,
    payload: a.payload,
    color: ANSWER_COLORS[i % ANSWER_COLORS.length],
    dash: ANSWER_DASHES[i % ANSWER_DASHES.length],
  }));

  const resolve = async (answer: ReviewAnswer) => {
    setBusy(true);
    setError(null);
    try {
      await manager.resolveItem(project.id, item.item.id, { annotation_id: answer.annotation_id }, makeGold);
      onResolved(answer.annotation_id);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="card review-item" data-testid="review-item" data-item-id={item.item.id} data-resolved={resolved}>
      <div className="benchmark-head">
        <strong title={`item ${item.item.id}`}>{item.item.external_id}</strong>
        <span className="badge" title="Agreement score of the item: 1 full agreement, 0 chance">
          score {formatCoefficient(item.score)}
        </span>
        <span className="muted small">{item.n_annotations} answers</span>
        {resolved && (
          <span className="ok-text" data-testid="review-resolved">
            Resolved
          </span>
        )}
      </div>
      {project.kind === "bbox" && <AnnotationOverlay item={item.item} layers={layers} maxWidth={460} />}
      {project.kind === "classification" && item.item.image_url && (
        <ReviewThumb url={previewUrl(item.item.image_url)} alt={`Item ${item.item.external_id}`} />
      )}
      <table className="compact">
        <tbody>
          {item.annotations.map((answer, i) => (
            <tr key={answer.annotation_id} data-testid="review-answer" data-annotation-id={answer.annotation_id}>
              <th scope="row" style={{ color: layers[i].color }}>
                {answer.annotator}
              </th>
              <td>{describePayload(answer.payload)}</td>
              <td>
                {chosen === answer.annotation_id ? (
                  <span className="ok-text">Chosen</span>
                ) : (
                  <button
                    type="button"
                    disabled={busy || resolved}
                    onClick={() => void resolve(answer)}
                    data-testid="resolve-button"
                  >
                    Use this answer
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {conflicts.length > 0 && (
        <details className="conflicts">
          <summary>
            {conflicts.length} conflict{conflicts.length === 1 ? "" : "s"}
          </summary>
          <ul data-testid="review-conflicts">
            {conflicts.map((c, i) => (
              <li key={i}>{describeConflict(c, names)}</li>
            ))}
          </ul>
        </details>
      )}
      <label>
        <input
          type="checkbox"
          checked={makeGold}
          disabled={resolved}
          onChange={(e) => setMakeGold(e.target.checked)}
          data-testid="make-gold"
        />{" "}
        Also make the chosen answer gold
      </label>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

/** A classification item's image in the review list: a failed load (an expired presigned URL) asks again. */
function ReviewThumb({ url, alt }: { url: string; alt: string }) {
  const image = useFreshImage(url);
  if (image.failed) return <ImageFailed className="review-thumb" onRetry={image.retry} />;
  return <img key={image.attempt} className="review-thumb" src={image.src ?? undefined} alt={alt} onError={image.onError} />;
}
