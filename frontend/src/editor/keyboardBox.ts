// A new box made from the keyboard: centred in the visible part of the image.
import { clampRect, type Rect, type Size } from "./geometry";
import { rectToImage, type View } from "./viewTransform";

/** A box a quarter of the visible image's width and height, centred in it (image coordinates). */
export function newBoxInView(image: Size, stage: Size, view: View): Rect {
  let visible = clampRect(rectToImage({ x: 0, y: 0, w: stage.width, h: stage.height }, view), image);
  if (visible.w < 1 || visible.h < 1) visible = { x: 0, y: 0, w: image.width, h: image.height };
  const w = Math.max(1, visible.w / 4);
  const h = Math.max(1, visible.h / 4);
  return { x: visible.x + (visible.w - w) / 2, y: visible.y + (visible.h - h) / 2, w, h };
}
