import { describe, expect, it } from "vitest";
import type { Finding } from "../api/types";
import { blockingFindings, boxRefs, highlightByBox } from "./findings";
import { newBoxInView } from "./keyboardBox";

const f = (severity: Finding["severity"], boxes: number[], code = "x"): Finding => ({
  code,
  severity,
  message: code,
  boxes,
});

describe("findings", () => {
  it("highlights each box with its worst severity", () => {
    const h = highlightByBox([f("warning", [0, 2]), f("error", [2]), f("warning", [2])]);
    expect(h.get(0)).toBe("warning");
    expect(h.get(2)).toBe("error");
    expect(h.has(1)).toBe(false);
  });
  it("only errors block", () => {
    expect(blockingFindings([f("warning", []), f("error", [1], "out")]).map((x) => x.code)).toEqual(["out"]);
  });
  it("names boxes 1-based like the box list", () => {
    expect(boxRefs([0])).toBe("Box 1");
    expect(boxRefs([0, 3])).toBe("Boxes 1, 4");
    expect(boxRefs([])).toBe("");
  });
});

describe("newBoxInView", () => {
  it("centres a quarter-size box in the visible part of the image", () => {
    // Whole 400x200 image visible at scale 1.
    expect(newBoxInView({ width: 400, height: 200 }, { width: 800, height: 600 }, { scale: 1, x: 0, y: 0 })).toEqual({
      x: 150,
      y: 75,
      w: 100,
      h: 50,
    });
    // Zoomed 2x on the top-left corner: the visible part is 0..100 x 0..50.
    expect(newBoxInView({ width: 400, height: 200 }, { width: 200, height: 100 }, { scale: 2, x: 0, y: 0 })).toEqual({
      x: 37.5,
      y: 18.75,
      w: 25,
      h: 12.5,
    });
  });
});
