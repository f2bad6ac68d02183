import { describe, expect, it } from "vitest";
import {
  createEditorState,
  currentBoxes,
  editorPayload,
  editorReducer,
  redoAvailable,
  selectedIndex,
  undoAvailable,
  type EditorAction,
  type EditorState,
} from "./editorState";

const image = { width: 200, height: 100 };
const labels = ["car", "person", "bike"];

function run(state: EditorState, ...actions: EditorAction[]): EditorState {
  return actions.reduce(editorReducer, state);
}

describe("editor state", () => {
  it("loads the pre-annotation in order, with nothing to undo", () => {
    const s = createEditorState(image, labels, [
      { x: 1, y: 2, w: 3, h: 4, label: "car" },
      { x: 5, y: 6, w: 7, h: 8, label: "person" },
    ]);
    expect(editorPayload(s).boxes).toEqual([
      { x: 1, y: 2, w: 3, h: 4, label: "car" },
      { x: 5, y: 6, w: 7, h: 8, label: "person" },
    ]);
    expect(undoAvailable(s)).toBe(false);
    expect(s.activeLabel).toBe("car");
  });

  it("draws a box with the active label, clamped into the image, and selects it", () => {
    let s = createEditorState(image, labels);
    s = run(s, { type: "chooseLabel", label: "bike" }, { type: "add", rect: { x: 150, y: -10, w: 100, h: 40 } });
    expect(editorPayload(s).boxes).toEqual([{ x: 150, y: 0, w: 50, h: 30, label: "bike" }]);
    expect(selectedIndex(s)).toBe(0);
  });

  it("ignores a box with no area inside the image", () => {
    const s = createEditorState(image, labels);
    expect(run(s, { type: "add", rect: { x: 300, y: 10, w: 20, h: 20 } })).toBe(s);
  });

  it("moves keep size and stay in the image; resizes clamp", () => {
    let s = createEditorState(image, labels, [{ x: 10, y: 10, w: 40, h: 20, label: "car" }]);
    const id = currentBoxes(s)[0].id;
    s = run(s, { type: "moveTo", id, rect: { x: 190, y: 95, w: 40, h: 20 } });
    expect(editorPayload(s).boxes[0]).toEqual({ x: 160, y: 80, w: 40, h: 20, label: "car" });
    s = run(s, { type: "setRect", id, rect: { x: 150, y: 70, w: 100, h: 100 } });
    expect(editorPayload(s).boxes[0]).toEqual({ x: 150, y: 70, w: 50, h: 30, label: "car" });
  });

  it("undo and redo walk back and forth through edits", () => {
    let s = createEditorState(image, labels);
    s = run(
      s,
      { type: "add", rect: { x: 0, y: 0, w: 10, h: 10 } },
      { type: "add", rect: { x: 20, y: 20, w: 10, h: 10 } },
      { type: "nudge", dx: 5, dy: 0 },
    );
    expect(editorPayload(s).boxes.map((b) => b.x)).toEqual([0, 25]);
    s = run(s, { type: "undo" });
    expect(editorPayload(s).boxes.map((b) => b.x)).toEqual([0, 20]);
    s = run(s, { type: "undo" });
    expect(editorPayload(s).boxes).toHaveLength(1);
    expect(s.selectedId).toBeNull(); // the selected box no longer exists
    s = run(s, { type: "redo" }, { type: "redo" });
    expect(editorPayload(s).boxes.map((b) => b.x)).toEqual([0, 25]);
    expect(redoAvailable(s)).toBe(false);
  });

  it("a no-op edit leaves no undo step", () => {
    let s = createEditorState(image, labels, [{ x: 0, y: 0, w: 10, h: 10, label: "car" }]);
    const id = currentBoxes(s)[0].id;
    s = run(s, { type: "select", id }, { type: "nudge", dx: -5, dy: -5 }, { type: "relabel", id, label: "car" });
    expect(undoAvailable(s)).toBe(false);
  });

  it("choosing a label relabels the selected box (one undo step) and sets the active label", () => {
    let s = createEditorState(image, labels, [{ x: 0, y: 0, w: 10, h: 10, label: "car" }]);
    s = run(s, { type: "selectIndex", index: 0 }, { type: "chooseLabel", label: "person" });
    expect(editorPayload(s).boxes[0].label).toBe("person");
    expect(s.activeLabel).toBe("person");
    s = run(s, { type: "undo" });
    expect(editorPayload(s).boxes[0].label).toBe("car");
    expect(s.activeLabel).toBe("person");
  });

  it("delete removes the selected box and selects its neighbour", () => {
    let s = createEditorState(image, labels, [
      { x: 0, y: 0, w: 10, h: 10, label: "car" },
      { x: 20, y: 0, w: 10, h: 10, label: "person" },
      { x: 40, y: 0, w: 10, h: 10, label: "bike" },
    ]);
    s = run(s, { type: "selectIndex", index: 1 }, { type: "delete" });
    expect(editorPayload(s).boxes.map((b) => b.label)).toEqual(["car", "bike"]);
    expect(selectedIndex(s)).toBe(1);
    s = run(s, { type: "delete" }, { type: "delete" });
    expect(currentBoxes(s)).toHaveLength(0);
    expect(s.selectedId).toBeNull();
    expect(run(s, { type: "delete" })).toBe(s);
  });

  it("cycles the selection through the boxes", () => {
    let s = createEditorState(image, labels, [
      { x: 0, y: 0, w: 10, h: 10, label: "car" },
      { x: 20, y: 0, w: 10, h: 10, label: "car" },
    ]);
    s = run(s, { type: "cycleSelection", step: 1 });
    expect(selectedIndex(s)).toBe(0);
    s = run(s, { type: "cycleSelection", step: 1 }, { type: "cycleSelection", step: 1 });
    expect(selectedIndex(s)).toBe(0);
    s = run(s, { type: "cycleSelection", step: -1 });
    expect(selectedIndex(s)).toBe(1);
  });

  it("keyboard resize grows the right/bottom edge within the image", () => {
    let s = createEditorState(image, labels, [{ x: 180, y: 0, w: 10, h: 10, label: "car" }]);
    s = run(s, { type: "selectIndex", index: 0 }, { type: "resizeBy", dw: 50, dh: 5 });
    expect(editorPayload(s).boxes[0]).toEqual({ x: 180, y: 0, w: 20, h: 15, label: "car" });
  });

  it("sends boxes rounded to 1/100 pixel", () => {
    let s = createEditorState(image, labels);
    s = run(s, { type: "add", rect: { x: 1 / 3, y: 2 / 3, w: 10.123456, h: 5 } });
    expect(editorPayload(s).boxes[0]).toEqual({ x: 0.33, y: 0.67, w: 10.12, h: 5, label: "car" });
  });
});
