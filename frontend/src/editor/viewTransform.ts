// The view transform (zoom and pan) between image pixels and screen (stage) pixels:
//   screen = image * scale + offset.
// Box state never depends on it.
import type { Point, Rect, Size } from "./geometry";

export interface View {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 0.05;
export const MAX_SCALE = 32;
export const ZOOM_STEP = 1.2;

export const IDENTITY_VIEW: View = { scale: 1, x: 0, y: 0 };

export function imageToScreen(p: Point, view: View): Point {
  return { x: p.x * view.scale + view.x, y: p.y * view.scale + view.y };
}

export function screenToImage(p: Point, view: View): Point {
  return { x: (p.x - view.x) / view.scale, y: (p.y - view.y) / view.scale };
}

export function rectToScreen(rect: Rect, view: View): Rect {
  const p = imageToScreen(rect, view);
  return { x: p.x, y: p.y, w: rect.w * view.scale, h: rect.h * view.scale };
}

export function rectToImage(rect: Rect, view: View): Rect {
  const p = screenToImage(rect, view);
  return { x: p.x, y: p.y, w: rect.w / view.scale, h: rect.h / view.scale };
}

/** The view showing the whole image centred in the stage, with a margin in screen pixels. */
export function fitView(image: Size, stage: Size, margin = 16): View {
  if (image.width <= 0 || image.height <= 0 || stage.width <= 0 || stage.height <= 0) return IDENTITY_VIEW;
  const availableW = Math.max(1, stage.width - 2 * margin);
  const availableH = Math.max(1, stage.height - 2 * margin);
  const scale = clampScale(Math.min(availableW / image.width, availableH / image.height));
  return {
    scale,
    x: (stage.width - image.width * scale) / 2,
    y: (stage.height - image.height * scale) / 2,
  };
}

export function clampScale(scale: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale));
}

/** Zooms by `factor` keeping the image point under `anchor` (a screen point) where it is. */
export function zoomAt(view: View, factor: number, anchor: Point): View {
  const scale = clampScale(view.scale * factor);
  const imagePoint = screenToImage(anchor, view);
  return { scale, x: anchor.x - imagePoint.x * scale, y: anchor.y - imagePoint.y * scale };
}

export function panBy(view: View, dx: number, dy: number): View {
  return { ...view, x: view.x + dx, y: view.y + dy };
}

/** The centre of the stage as a screen point (the anchor for keyboard zoom). */
export function stageCenter(stage: Size): Point {
  return { x: stage.width / 2, y: stage.height / 2 };
}
