import { describe, expect, it } from "vitest";
import { rectFromPoints } from "./geometry";
import { fitView, imageToScreen, panBy, rectToScreen, screenToImage, zoomAt, MAX_SCALE, type View } from "./viewTransform";

describe("screen <-> image", () => {
  const view: View = { scale: 2.5, x: 40, y: -30 };

  it("maps a point both ways", () => {
    const p = { x: 123.4, y: 56.7 };
    const back = screenToImage(imageToScreen(p, view), view);
    expect(back.x).toBeCloseTo(p.x, 9);
    expect(back.y).toBeCloseTo(p.y, 9);
    expect(imageToScreen({ x: 10, y: 20 }, view)).toEqual({ x: 65, y: 20 });
  });

  it("a drag on screen gives the box in image pixels, whatever the zoom and pan", () => {
    // The same image box (100, 50, 200 x 80) drawn under three views.
    for (const v of [view, { scale: 0.5, x: 0, y: 0 }, { scale: 4, x: -900, y: -100 }]) {
      const a = imageToScreen({ x: 100, y: 50 }, v);
      const b = imageToScreen({ x: 300, y: 130 }, v);
      const box = rectFromPoints(screenToImage(a, v), screenToImage(b, v));
      expect(box.x).toBeCloseTo(100, 9);
      expect(box.y).toBeCloseTo(50, 9);
      expect(box.w).toBeCloseTo(200, 9);
      expect(box.h).toBeCloseTo(80, 9);
    }
  });

  it("scales rectangles to the screen", () => {
    expect(rectToScreen({ x: 10, y: 10, w: 20, h: 8 }, { scale: 2, x: 5, y: 0 })).toEqual({ x: 25, y: 20, w: 40, h: 16 });
  });
});

describe("zoomAt", () => {
  it("keeps the image point under the anchor fixed", () => {
    const view: View = { scale: 1, x: 10, y: 20 };
    const anchor = { x: 300, y: 200 };
    const before = screenToImage(anchor, view);
    const zoomed = zoomAt(view, 2, anchor);
    expect(zoomed.scale).toBe(2);
    const after = screenToImage(anchor, zoomed);
    expect(after.x).toBeCloseTo(before.x, 9);
    expect(after.y).toBeCloseTo(before.y, 9);
  });

  it("clamps the scale", () => {
    expect(zoomAt({ scale: 30, x: 0, y: 0 }, 10, { x: 0, y: 0 }).scale).toBe(MAX_SCALE);
  });

  it("does not change box coordinates: only the view moves", () => {
    const view = panBy(zoomAt({ scale: 1, x: 0, y: 0 }, 3, { x: 50, y: 50 }), 15, -5);
    const screen = imageToScreen({ x: 100, y: 100 }, view);
    expect(screenToImage(screen, view).x).toBeCloseTo(100, 9);
  });
});

describe("fitView", () => {
  it("shows the whole image centred", () => {
    const v = fitView({ width: 1000, height: 500 }, { width: 800, height: 600 }, 0);
    expect(v.scale).toBeCloseTo(0.8);
    expect(v.x).toBeCloseTo(0);
    expect(v.y).toBeCloseTo(100);
  });
  it("respects the margin", () => {
    const v = fitView({ width: 100, height: 100 }, { width: 220, height: 120 }, 10);
    expect(v.scale).toBeCloseTo(1);
    expect(imageToScreen({ x: 0, y: 0 }, v)).toEqual({ x: 60, y: 10 });
  });
});
