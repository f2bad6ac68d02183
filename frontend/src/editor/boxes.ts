// Operations on the list of boxes being edited. Pure: each returns a new list (or the same one when nothing
// changes, so that no-ops leave no undo step). Every result lies inside the image.
import type { PayloadBox } from "../api/types";
import {
  clampMove,
  clampRect,
  isUsable,
  rectsEqual,
  resizeRect,
  roundRect,
  translateRect,
  type Rect,
  type Size,
} from "./geometry";

export interface EditorBox extends Rect {
  /** Stable identity for selection and rendering; never sent to the server. */
  id: string;
  label: string;
}

export function rectOf(box: EditorBox): Rect {
  return { x: box.x, y: box.y, w: box.w, h: box.h };
}

export function addBox(boxes: EditorBox[], box: EditorBox, size: Size): EditorBox[] {
  const rect = clampRect(box, size);
  if (!isUsable(rect)) return boxes;
  return [...boxes, { ...box, ...rect }];
}

/** Sets a box's rectangle (after a resize): the part inside the image is kept. */
export function setBoxRect(boxes: EditorBox[], id: string, rect: Rect, size: Size): EditorBox[] {
  return replace(boxes, id, (box) => {
    const clamped = clampRect(rect, size);
    return isUsable(clamped) ? { ...box, ...clamped } : box;
  });
}

/** Moves a box to a new position (after a drag): its size is kept and it is pushed back inside the image. */
export function moveBoxTo(boxes: EditorBox[], id: string, rect: Rect, size: Size): EditorBox[] {
  return replace(boxes, id, (box) => ({ ...box, ...clampMove({ ...rect, w: box.w, h: box.h }, size) }));
}

export function nudgeBox(boxes: EditorBox[], id: string, dx: number, dy: number, size: Size): EditorBox[] {
  return replace(boxes, id, (box) => ({ ...box, ...clampMove(translateRect(box, dx, dy), size) }));
}

export function resizeBoxBy(boxes: EditorBox[], id: string, dw: number, dh: number, size: Size): EditorBox[] {
  return replace(boxes, id, (box) => {
    const clamped = clampRect(resizeRect(box, dw, dh), size);
    return isUsable(clamped) ? { ...box, ...clamped } : box;
  });
}

export function deleteBox(boxes: EditorBox[], id: string): EditorBox[] {
  const next = boxes.filter((b) => b.id !== id);
  return next.length === boxes.length ? boxes : next;
}

export function relabelBox(boxes: EditorBox[], id: string, label: string): EditorBox[] {
  return replace(boxes, id, (box) => (box.label === label ? box : { ...box, label }));
}

export function indexOfBox(boxes: EditorBox[], id: string | null): number {
  return id === null ? -1 : boxes.findIndex((b) => b.id === id);
}

/** Boxes as sent to the API, in list order (findings' `boxes` indices refer to this order). */
export function toPayloadBoxes(boxes: EditorBox[]): PayloadBox[] {
  return boxes.map((b) => ({ ...roundRect(b), label: b.label }));
}

/** Boxes from a payload (e.g. the pre-annotation), given fresh ids "b<start>", "b<start+1>", ... */
export function fromPayloadBoxes(boxes: PayloadBox[], startId = 1): EditorBox[] {
  return boxes.map((b, i) => ({ id: `b${startId + i}`, x: b.x, y: b.y, w: b.w, h: b.h, label: b.label }));
}

function replace(boxes: EditorBox[], id: string, change: (box: EditorBox) => EditorBox): EditorBox[] {
  const index = boxes.findIndex((b) => b.id === id);
  if (index < 0) return boxes;
  const box = boxes[index];
  const next = change(box);
  if (next === box || (next.label === box.label && rectsEqual(next, box))) return boxes;
  const copy = boxes.slice();
  copy[index] = next;
  return copy;
}
