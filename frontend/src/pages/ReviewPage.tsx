import { useState } from "react";
import { errorMessage, manager } from "../api";
import type { Project, ReviewAnswer, ReviewItem } from "../api/types";
import { AnnotationOverlay, describePayload, type OverlayLayer } from "../components/AnnotationOverlay";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

const ANSWER_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];
const ANSWER_DASHES = [undefined, "6 4", "2 3", "10 3 2 3", undefined, "6 4"];

export function answerName(answer: ReviewAnswer, index: number): string {
  return String(answer.username ?? answer.annotator ?? (answer.user_id !== undefined ? `user ${answer.user_id}` : `answer ${index + 1}`));
}

export function ReviewPage({ projectId }: { projectId: number }) {
  const [maxAlphaText, setMaxAlphaText] = useState("");
  const [maxAlpha, setMaxAlpha] = useState<number | undefined>(undefined);
  const items = useAsync(() => manager.agreementItems(projectId, maxAlpha), [projectId, maxAlpha]);
  const [resolved, setResolved] = useState<Set<number>>(new Set());

  return (
    <ManagerPage projectId={projectId} tab="review">
      {(project) => (
        <section data-testid="review-page">
          <h1>Low-agreement items to review</h1>
          <form
            className="filters"
            onSubmit={(e) => {
              e.preventDefault();
              const v = Number(maxAlphaText);
              setMaxAlpha(maxAlphaText.trim() === "" || Number.isNaN(v) ? undefined : v);
            }}
          >
            <label>
              Show items with agreement at most
              <input
                type="number"
                step="0.05"
                min="-1"
                max="1"
                value={maxAlphaText}
                placeholder="server default"
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
          <ul className="review-list" data-testid="review-list">
            {items.data?.map((item) => (
              <ReviewCard
                key={item.item_id}
                project={project}
                item={item}
                resolved={resolved.has(item.item_id)}
                onResolved={() => setResolved((s) => new Set(s).add(item.item_id))}
              />
            ))}
          </ul>
        </section>
      )}
    </ManagerPage>
  );
}

function ReviewCard({
  project,
  item,
  resolved,
  onResolved,
}: {
  project: Project;
  item: ReviewItem;
  resolved: boolean;
  onResolved: () => void;
}) {
  const [makeGold, setMakeGold] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const layers: OverlayLayer[] = item.annotations.map((a, i) => ({
    key: `a${i}`,
    name: answerName(a, i),
    payload: a.payload,
    color: ANSWER_COLORS[i % ANSWER_COLORS.length],
    dash: ANSWER_DASHES[i % ANSWER_DASHES.length],
  }));

  const resolve = async (answer: ReviewAnswer) => {
    setBusy(true);
    setError(null);
    try {
      await manager.resolveItem(project.id, item.item_id, answer.payload, makeGold);
      onResolved();
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className="card review-item" data-testid="review-item" data-item-id={item.item_id} data-resolved={resolved}>
      <div className="benchmark-head">
        <strong>Item {item.item_id}</strong>
        {typeof item.alpha === "number" && <span className="badge">alpha {item.alpha.toFixed(2)}</span>}
        {resolved && <span className="ok-text" data-testid="review-resolved">Resolved</span>}
      </div>
      {item.item && project.kind === "bbox" && <AnnotationOverlay item={item.item} layers={layers} maxWidth={460} />}
      {item.item && project.kind === "classification" && item.item.image_url && (
        <img className="review-thumb" src={item.item.image_url} alt={`Item ${item.item_id}`} />
      )}
      <table className="compact">
        <tbody>
          {item.annotations.map((answer, i) => (
            <tr key={i} data-testid="review-answer">
              <th scope="row" style={{ color: layers[i].color }}>
                {layers[i].name}
              </th>
              <td>{describePayload(answer.payload)}</td>
              <td>
                <button
                  type="button"
                  disabled={busy || resolved}
                  onClick={() => void resolve(answer)}
                  data-testid="resolve-button"
                >
                  Use this answer
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
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
