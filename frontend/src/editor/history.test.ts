import { describe, expect, it } from "vitest";
import { canRedo, canUndo, createHistory, pushHistory, redo, undo } from "./history";

describe("undo/redo stack", () => {
  it("undoes and redoes in order", () => {
    let h = createHistory("a");
    h = pushHistory(h, "b");
    h = pushHistory(h, "c");
    expect(h.present).toBe("c");
    h = undo(h);
    expect(h.present).toBe("b");
    h = undo(h);
    expect(h.present).toBe("a");
    expect(canUndo(h)).toBe(false);
    expect(undo(h)).toBe(h);
    h = redo(h);
    h = redo(h);
    expect(h.present).toBe("c");
    expect(canRedo(h)).toBe(false);
    expect(redo(h)).toBe(h);
  });

  it("a new change after undo drops the redo branch", () => {
    let h = pushHistory(pushHistory(createHistory(1), 2), 3);
    h = undo(h);
    h = pushHistory(h, 4);
    expect(h.present).toBe(4);
    expect(canRedo(h)).toBe(false);
    expect(undo(h).present).toBe(2);
  });

  it("pushing the present itself records nothing", () => {
    const h = createHistory({ n: 1 });
    expect(pushHistory(h, h.present)).toBe(h);
  });

  it("keeps at most `limit` steps", () => {
    let h = createHistory(0);
    for (let i = 1; i <= 10; i++) h = pushHistory(h, i, 3);
    expect(h.past).toEqual([7, 8, 9]);
  });
});
