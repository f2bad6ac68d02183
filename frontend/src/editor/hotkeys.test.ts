// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { digitOf, keyToAction, targetOwnsKey } from "./hotkeys";

describe("keyToAction", () => {
  it("maps 1-9 then 0 to labels that exist", () => {
    expect(keyToAction({ key: "1" }, "bbox", 3)).toEqual({ type: "label", index: 0 });
    expect(keyToAction({ key: "3" }, "classification", 3)).toEqual({ type: "label", index: 2 });
    expect(keyToAction({ key: "4" }, "bbox", 3)).toBeNull();
    expect(keyToAction({ key: "0" }, "bbox", 10)).toEqual({ type: "label", index: 9 });
    expect(keyToAction({ key: "0" }, "bbox", 9)).toBeNull();
  });

  it("uses the label keys it is given: digits and letters", () => {
    // Labels "0".."9": each digit picks its own label.
    const digits = Object.fromEntries([..."0123456789"].map((d, i) => [d, i]));
    expect(keyToAction({ key: "3" }, "classification", digits)).toEqual({ type: "label", index: 3 });
    expect(keyToAction({ key: "0" }, "classification", digits)).toEqual({ type: "label", index: 0 });
    expect(keyToAction({ key: "9" }, "classification", digits)).toEqual({ type: "label", index: 9 });
    expect(keyToAction({ key: "c" }, "bbox", { c: 2 })).toEqual({ type: "label", index: 2 });
    expect(keyToAction({ key: "C", shiftKey: true }, "bbox", { c: 2 })).toBeNull();
    // The workspace's own keys win over nothing: n stays "new box" (labels never get h, s, f or n).
    expect(keyToAction({ key: "n" }, "bbox", { c: 2 })).toEqual({ type: "newBox" });
  });

  it("reads numpad digits by code", () => {
    expect(digitOf({ key: "End", code: "Numpad1" })).toBe(1);
  });

  it("undo and redo", () => {
    expect(keyToAction({ key: "z", ctrlKey: true }, "bbox", 3)).toEqual({ type: "undo" });
    expect(keyToAction({ key: "Z", ctrlKey: true, shiftKey: true }, "bbox", 3)).toEqual({ type: "redo" });
    expect(keyToAction({ key: "y", ctrlKey: true }, "bbox", 3)).toEqual({ type: "redo" });
    expect(keyToAction({ key: "z", metaKey: true }, "bbox", 3)).toEqual({ type: "undo" });
  });

  it("editing keys", () => {
    expect(keyToAction({ key: "Delete" }, "bbox", 3)).toEqual({ type: "delete" });
    expect(keyToAction({ key: "Backspace" }, "bbox", 3)).toEqual({ type: "delete" });
    expect(keyToAction({ key: "Enter" }, "bbox", 3)).toEqual({ type: "submit" });
    expect(keyToAction({ key: "Escape" }, "bbox", 3)).toEqual({ type: "deselect" });
    expect(keyToAction({ key: "]" }, "bbox", 3)).toEqual({ type: "cycle", step: 1 });
    expect(keyToAction({ key: "n" }, "bbox", 3)).toEqual({ type: "newBox" });
  });

  it("zoom keys", () => {
    expect(keyToAction({ key: "+" }, "bbox", 3)).toEqual({ type: "zoomIn" });
    expect(keyToAction({ key: "=" }, "bbox", 3)).toEqual({ type: "zoomIn" });
    expect(keyToAction({ key: "-" }, "bbox", 3)).toEqual({ type: "zoomOut" });
    expect(keyToAction({ key: "f" }, "bbox", 3)).toEqual({ type: "fit" });
  });

  it("arrows move by 1 (Shift: 10); with Ctrl they resize", () => {
    expect(keyToAction({ key: "ArrowLeft" }, "bbox", 3)).toEqual({ type: "nudge", dx: -1, dy: 0 });
    expect(keyToAction({ key: "ArrowDown", shiftKey: true }, "bbox", 3)).toEqual({ type: "nudge", dx: 0, dy: 10 });
    expect(keyToAction({ key: "ArrowRight", ctrlKey: true }, "bbox", 3)).toEqual({ type: "resize", dw: 1, dh: 0 });
  });

  it("classification has no box keys", () => {
    expect(keyToAction({ key: "Delete" }, "classification", 3)).toBeNull();
    expect(keyToAction({ key: "ArrowLeft" }, "classification", 3)).toBeNull();
    expect(keyToAction({ key: "Enter" }, "classification", 3)).toEqual({ type: "submit" });
  });

  it("leaves browser shortcuts alone", () => {
    expect(keyToAction({ key: "1", ctrlKey: true }, "bbox", 3)).toBeNull();
    expect(keyToAction({ key: "ArrowLeft", altKey: true }, "bbox", 3)).toBeNull();
    expect(keyToAction({ key: "f", ctrlKey: true }, "bbox", 3)).toBeNull();
  });
});

describe("targetOwnsKey", () => {
  it("text fields own every key; buttons own Enter and Space", () => {
    const input = document.createElement("input");
    const button = document.createElement("button");
    const div = document.createElement("div");
    expect(targetOwnsKey(input, "1")).toBe(true);
    expect(targetOwnsKey(button, "Enter")).toBe(true);
    expect(targetOwnsKey(button, "Delete")).toBe(false);
    expect(targetOwnsKey(div, "Enter")).toBe(false);
  });
});
