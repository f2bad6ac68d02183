// The image with annotation layers (AnnotationOverlay) and, on top, the reviewers' comments pinned to boxes
// (a numbered marker at the box's corner) and to regions (a dashed rectangle), and the per-box verdicts (a
// green or red outline; the box the A / R keys judge drawn thicker).
import { isBboxPayload, type Item, type Payload, type TaskItem } from "../api/types";
import type { ObjectVerdictValue, RejectedObject, ReviewComment } from "../api/review";
import { AnnotationOverlay, type OverlayLayer } from "../components/AnnotationOverlay";

export function ReviewOverlay({
  item,
  layers,
  pinned,
  comments,
  verdicts = {},
  selectedBox = null,
  maxWidth = 640,
}: {
  item: Item | TaskItem;
  layers: OverlayLayer[];
  /** The payload whose boxes the comments' `box` indexes refer to. */
  pinned: Payload | null | undefined;
  comments: ReviewComment[];
  /** Per-box verdicts, by index into `pinned`'s boxes. */
  verdicts?: Record<number, ObjectVerdictValue>;
  selectedBox?: number | null;
  maxWidth?: number;
}) {
  const boxes = isBboxPayload(pinned) ? pinned.boxes : [];
  const r = Math.max(item.width, item.height) / 60;
  return (
    <div className="review-overlay" style={{ position: "relative", maxWidth }}>
      <AnnotationOverlay item={item} layers={layers} maxWidth={maxWidth} />
      <svg
        viewBox={`0 0 ${item.width} ${item.height}`}
        preserveAspectRatio="none"
        style={{ position: "absolute", inset: 0, width: "100%", height: "100%", pointerEvents: "none" }}
        data-testid="comment-pins"
      >
        {boxes.map((b, i) =>
          verdicts[i] || selectedBox === i ? (
            <rect
              key={`verdict-${i}`}
              x={b.x}
              y={b.y}
              width={b.w}
              height={b.h}
              fill="none"
              stroke={verdicts[i] === "rejected" ? "#d62728" : verdicts[i] === "accepted" ? "#2ca02c" : "#ff7f0e"}
              strokeWidth={selectedBox === i ? 6 : 4}
              vectorEffect="non-scaling-stroke"
              data-testid="verdict-mark"
              data-box={i}
              data-verdict={verdicts[i] ?? "selected"}
            >
              <title>{`Box ${i + 1}: ${verdicts[i] ?? "selected"}`}</title>
            </rect>
          ) : null,
        )}
        {comments.map((c, i) => {
          if (c.box !== null && boxes[c.box]) {
            const b = boxes[c.box];
            return (
              <g key={i} data-testid="comment-pin" data-box={c.box}>
                <rect x={b.x} y={b.y} width={b.w} height={b.h} fill="none" stroke="#e4572e" strokeWidth={3}
                  vectorEffect="non-scaling-stroke" />
                <circle cx={b.x} cy={b.y} r={r} fill="#e4572e" />
                <text x={b.x} y={b.y + r / 2.5} textAnchor="middle" fontSize={r * 1.2} fill="#fff">
                  {i + 1}
                </text>
                <title>{c.text}</title>
              </g>
            );
          }
          if (c.region) {
            const [x, y, w, h] = c.region;
            return (
              <g key={i} data-testid="comment-region">
                <rect x={x} y={y} width={w} height={h} fill="none" stroke="#e4572e" strokeDasharray="6 4"
                  strokeWidth={3} vectorEffect="non-scaling-stroke" />
                <title>{c.text}</title>
              </g>
            );
          }
          return null;
        })}
      </svg>
    </div>
  );
}

/** The boxes a reviewer rejected, for the rework (numbered after the comments, like their pins). */
export function RejectedList({ rejected, first }: { rejected: RejectedObject[]; first: number }) {
  if (rejected.length === 0) return null;
  return (
    <section aria-label="Rejected boxes" data-testid="rejected-list">
      <p className="warn-text small">Boxes the reviewer rejected (fix these):</p>
      <ol className="comment-list">
        {rejected.map((r, i) => (
          <li key={r.box} value={first + i} data-box={r.box}>
            <span className="muted small">Box {r.box + 1} rejected</span>
            {r.comment ? `: ${r.comment}` : ""}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** The comments as a numbered list (the numbers match the pins). */
export function CommentList({ comments }: { comments: ReviewComment[] }) {
  if (comments.length === 0) return null;
  return (
    <ol className="comment-list" data-testid="comment-list">
      {comments.map((c, i) => (
        <li key={i} value={i + 1}>
          <span className="muted small">
            {c.box !== null ? `Box ${c.box + 1}` : c.region ? "Region" : "Whole annotation"}:{" "}
          </span>
          {c.text}
        </li>
      ))}
    </ol>
  );
}
