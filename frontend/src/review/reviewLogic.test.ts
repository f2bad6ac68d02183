import { describe, expect, it } from "vitest";
import {
  applyFix,
  boxHotkey,
  buildComments,
  fixChanges,
  reviewHotkey,
  reviewHotkeysFor,
  splitComments,
} from "./reviewLogic";

const payload = {
  boxes: [
    { x: 1, y: 1, w: 5, h: 5, label: "car" },
    { x: 10, y: 10, w: 5, h: 5, label: "person" },
    { x: 20, y: 20, w: 5, h: 5, label: "car" },
  ],
};

describe("reviewHotkey", () => {
  it("maps keys to actions", () => {
    expect(reviewHotkey({ key: "a" })).toBe("accept");
    expect(reviewHotkey({ key: "R" })).toBe("reject");
    expect(reviewHotkey({ key: "f" })).toBe("fix");
    expect(reviewHotkey({ key: "p" })).toBe("toggle-pre");
    expect(reviewHotkey({ key: "x" })).toBeNull();
  });
  it("leaves modified keys and typing alone", () => {
    expect(reviewHotkey({ key: "a", ctrlKey: true })).toBeNull();
    const input = { tagName: "TEXTAREA" } as unknown as EventTarget;
    expect(reviewHotkey({ key: "a", target: input })).toBeNull();
    const text = { tagName: "INPUT", type: "text" } as unknown as EventTarget;
    expect(reviewHotkey({ key: "r", target: text })).toBeNull();
    const select = { tagName: "SELECT" } as unknown as EventTarget;
    expect(reviewHotkey({ key: "a", target: select })).toBeNull(); // letters choose an option there
  });
  it("works while a checkbox or a button has the focus (they take no letters)", () => {
    const checkbox = { tagName: "INPUT", type: "checkbox" } as unknown as EventTarget;
    expect(reviewHotkey({ key: "f", target: checkbox })).toBe("fix");
    expect(boxHotkey({ key: "2", target: checkbox }, 3)).toBe(1);
    const button = { tagName: "BUTTON" } as unknown as EventTarget;
    expect(reviewHotkey({ key: "a", target: button })).toBe("accept");
  });
});

describe("the hotkeys of a class review", () => {
  it("has no box selection or box verdicts, and says what A, R and F do to a class", () => {
    expect(reviewHotkey({ key: "d" }, "classification")).toBeNull();
    expect(reviewHotkey({ key: "Escape" }, "classification")).toBeNull();
    expect(reviewHotkey({ key: "d" }, "bbox")).toBe("decide");
    expect(reviewHotkey({ key: "a" }, "classification")).toBe("accept");
    expect(reviewHotkey({ key: "f" }, "classification")).toBe("fix");
    const keys = reviewHotkeysFor("classification");
    expect(keys.map((h) => h.key)).toEqual(["a", "r", "f", "j", "p", "o"]);
    expect(keys.map((h) => h.help).join(" ")).not.toMatch(/box/);
    expect(reviewHotkeysFor("bbox").map((h) => h.key)).toEqual(["a", "r", "d", "escape", "f", "j", "p", "o"]);
  });
});

describe("comments", () => {
  it("builds one comment per box note plus the whole one, skipping blanks", () => {
    expect(buildComments({ 2: " wrong class ", 0: "", 1: "too big" }, "check again")).toEqual([
      { box: 1, region: null, text: "too big" },
      { box: 2, region: null, text: "wrong class" },
      { box: null, region: null, text: "check again" },
    ]);
    expect(buildComments({}, "  ")).toEqual([]);
  });
  it("splits comments by box", () => {
    const { byBox, other } = splitComments([
      { box: 1, region: null, text: "a" },
      { box: 1, region: null, text: "b" },
      { box: null, region: [1, 2, 3, 4], text: "missed" },
    ]);
    expect(byBox.get(1)).toEqual(["a", "b"]);
    expect(other).toHaveLength(1);
  });
});

describe("fixes", () => {
  it("relabels and removes boxes and counts the changes", () => {
    const edits = { relabel: { 1: "bike", 2: "car" }, remove: [0] };
    expect(applyFix(payload, edits)).toEqual({
      boxes: [
        { x: 10, y: 10, w: 5, h: 5, label: "bike" },
        { x: 20, y: 20, w: 5, h: 5, label: "car" },
      ],
    });
    expect(fixChanges(payload, edits)).toBe(2);
    expect(fixChanges(payload, { relabel: {}, remove: [] })).toBe(0);
  });
  it("changes the class of a classification answer", () => {
    expect(applyFix({ label: "cat" }, { relabel: {}, remove: [], label: "dog" })).toEqual({ label: "dog" });
    expect(fixChanges({ label: "cat" }, { relabel: {}, remove: [], label: "cat" })).toBe(0);
  });
});
