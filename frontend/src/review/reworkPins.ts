// The reviewer's comments as pins over the labeling canvas while the annotator reworks: a comment on a box is
// pinned where that box was in the rejected answer (what the reviewer saw), a comment on a region on the region.
import { isBboxPayload, type Payload } from "../api/types";
import type { RejectedObject, ReviewComment } from "../api/review";

export interface ReworkPin {
  /** The comment's number in the comment list (1-based). */
  number: number;
  /** "rejected": a box the reviewer rejected (numbered after the comments). */
  kind: "box" | "region" | "rejected";
  /** The 0-based box index the comment is on (box pins only). */
  box: number | null;
  x: number;
  y: number;
  w: number;
  h: number;
  text: string;
}

/** What the workspace needs to show a rework: the round, the comments and the answer they refer to. */
export interface ReworkContext {
  round: number;
  comments: ReviewComment[];
  /** The rejected answer: comments' `box` indexes refer to its boxes. */
  pinned: Payload;
  /** The boxes (of `pinned`) the reviewer rejected one by one. */
  rejected?: RejectedObject[];
}

export function reworkPins(
  comments: ReviewComment[],
  pinned: Payload | null | undefined,
  rejected: RejectedObject[] = [],
): ReworkPin[] {
  const boxes = isBboxPayload(pinned) ? pinned.boxes : [];
  const pins: ReworkPin[] = [];
  comments.forEach((c, i) => {
    if (c.box !== null && boxes[c.box]) {
      const b = boxes[c.box];
      pins.push({ number: i + 1, kind: "box", box: c.box, x: b.x, y: b.y, w: b.w, h: b.h, text: c.text });
    } else if (c.region) {
      const [x, y, w, h] = c.region;
      pins.push({ number: i + 1, kind: "region", box: null, x, y, w, h, text: c.text });
    }
  });
  rejected.forEach((r, i) => {
    const b = boxes[r.box];
    if (!b) return;
    const text = r.comment ? `Rejected: ${r.comment}` : "Rejected";
    pins.push({ number: comments.length + i + 1, kind: "rejected", box: r.box, x: b.x, y: b.y, w: b.w, h: b.h, text });
  });
  return pins;
}
