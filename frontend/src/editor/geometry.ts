// Box geometry in IMAGE pixel coordinates (top-left origin, COCO [x, y, w, h]).

export interface Point {
  x: number;
  y: number;
}

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Size {
  width: number;
  height: number;
}

/** Smallest side a box may have, in image pixels. */
export const MIN_BOX_SIDE = 1;

export function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

/** The rectangle spanned by two corner points, whatever the drag direction. */
export function rectFromPoints(a: Point, b: Point): Rect {
  return {
    x: Math.min(a.x, b.x),
    y: Math.min(a.y, b.y),
    w: Math.abs(b.x - a.x),
    h: Math.abs(b.y - a.y),
  };
}

export function clampPoint(p: Point, size: Size): Point {
  return { x: clamp(p.x, 0, size.width), y: clamp(p.y, 0, size.height) };
}

/** The part of a rectangle inside the image (may have zero width or height). Negative sizes are normalised. */
export function clampRect(rect: Rect, size: Size): Rect {
  const n = normalizeRect(rect);
  const x0 = clamp(n.x, 0, size.width);
  const y0 = clamp(n.y, 0, size.height);
  const x1 = clamp(n.x + n.w, 0, size.width);
  const y1 = clamp(n.y + n.h, 0, size.height);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}

/** Shifts a rectangle (keeping its size, shrunk to the image if larger) so that it lies inside the image. */
export function clampMove(rect: Rect, size: Size): Rect {
  const n = normalizeRect(rect);
  const w = Math.min(n.w, size.width);
  const h = Math.min(n.h, size.height);
  return { x: clamp(n.x, 0, size.width - w), y: clamp(n.y, 0, size.height - h), w, h };
}

export function normalizeRect(rect: Rect): Rect {
  return {
    x: rect.w < 0 ? rect.x + rect.w : rect.x,
    y: rect.h < 0 ? rect.y + rect.h : rect.y,
    w: Math.abs(rect.w),
    h: Math.abs(rect.h),
  };
}

export function translateRect(rect: Rect, dx: number, dy: number): Rect {
  return { ...rect, x: rect.x + dx, y: rect.y + dy };
}

/** Grows (or shrinks, with negative deltas) the right and bottom edges, keeping at least MIN_BOX_SIDE. */
export function resizeRect(rect: Rect, dw: number, dh: number): Rect {
  return { ...rect, w: Math.max(MIN_BOX_SIDE, rect.w + dw), h: Math.max(MIN_BOX_SIDE, rect.h + dh) };
}

export function rectsEqual(a: Rect, b: Rect, eps = 1e-6): boolean {
  return (
    Math.abs(a.x - b.x) < eps && Math.abs(a.y - b.y) < eps && Math.abs(a.w - b.w) < eps && Math.abs(a.h - b.h) < eps
  );
}

export function containsPoint(rect: Rect, p: Point): boolean {
  return p.x >= rect.x && p.x <= rect.x + rect.w && p.y >= rect.y && p.y <= rect.y + rect.h;
}

/** Rounds to 1/100 pixel: enough precision, stable JSON. */
export function roundRect(rect: Rect): Rect {
  const r = (v: number) => Math.round(v * 100) / 100;
  return { x: r(rect.x), y: r(rect.y), w: r(rect.w), h: r(rect.h) };
}

export function isUsable(rect: Rect): boolean {
  return rect.w >= MIN_BOX_SIDE && rect.h >= MIN_BOX_SIDE;
}
