import { describe, expect, it } from "vitest";
import { clampMove, clampRect, containsPoint, rectFromPoints, resizeRect, roundRect } from "./geometry";

const image = { width: 640, height: 480 };

describe("rectFromPoints", () => {
  it("gives the same rectangle whatever the drag direction", () => {
    const expected = { x: 10, y: 20, w: 90, h: 60 };
    expect(rectFromPoints({ x: 10, y: 20 }, { x: 100, y: 80 })).toEqual(expected);
    expect(rectFromPoints({ x: 100, y: 80 }, { x: 10, y: 20 })).toEqual(expected);
    expect(rectFromPoints({ x: 100, y: 20 }, { x: 10, y: 80 })).toEqual(expected);
  });
});

describe("clampRect", () => {
  it("keeps the part of a box inside the image", () => {
    expect(clampRect({ x: -20, y: -10, w: 100, h: 50 }, image)).toEqual({ x: 0, y: 0, w: 80, h: 40 });
    expect(clampRect({ x: 600, y: 450, w: 100, h: 100 }, image)).toEqual({ x: 600, y: 450, w: 40, h: 30 });
  });
  it("leaves a box inside the image unchanged", () => {
    const box = { x: 5, y: 6, w: 7, h: 8 };
    expect(clampRect(box, image)).toEqual(box);
  });
  it("normalises negative sizes", () => {
    expect(clampRect({ x: 50, y: 50, w: -20, h: -10 }, image)).toEqual({ x: 30, y: 40, w: 20, h: 10 });
  });
  it("gives zero size for a box wholly outside", () => {
    const r = clampRect({ x: 700, y: 10, w: 20, h: 20 }, image);
    expect(r.w).toBe(0);
  });
});

describe("clampMove", () => {
  it("pushes a moved box back inside, keeping its size", () => {
    expect(clampMove({ x: 620, y: -15, w: 40, h: 30 }, image)).toEqual({ x: 600, y: 0, w: 40, h: 30 });
    expect(clampMove({ x: -5, y: 470, w: 40, h: 30 }, image)).toEqual({ x: 0, y: 450, w: 40, h: 30 });
  });
  it("shrinks a box larger than the image to the image", () => {
    expect(clampMove({ x: -10, y: -10, w: 1000, h: 1000 }, image)).toEqual({ x: 0, y: 0, w: 640, h: 480 });
  });
});

describe("resizeRect / roundRect / containsPoint", () => {
  it("never resizes below one pixel", () => {
    expect(resizeRect({ x: 0, y: 0, w: 5, h: 5 }, -10, -3)).toEqual({ x: 0, y: 0, w: 1, h: 2 });
  });
  it("rounds to 1/100 pixel", () => {
    expect(roundRect({ x: 1.23456, y: 2.005, w: 3.999, h: 4 })).toEqual({ x: 1.23, y: 2.01, w: 4, h: 4 });
  });
  it("hit-tests edges inclusively", () => {
    const r = { x: 10, y: 10, w: 10, h: 10 };
    expect(containsPoint(r, { x: 20, y: 20 })).toBe(true);
    expect(containsPoint(r, { x: 20.5, y: 15 })).toBe(false);
  });
});
