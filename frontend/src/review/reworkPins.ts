// The reviewer's comments as pins over the labeling canvas while the annotator reworks: a comment on a box is
// pinned where that box was in the rejected answer (what the reviewer saw), a comment on a region on the region.
import { isBboxPayload, type Payload } from "../api/types";
import type { ReviewComment } from "../api/review";

export interface ReworkPin {
  /** The comment's number in the comment list (1-based). */
  number: number;
  kind: "box" | "region";
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
}

export function reworkPins(comments: ReviewComment[], pinned: Payload | null | undefined): ReworkPin[] {
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
  return pins;
}
