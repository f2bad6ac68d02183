import { describe, expect, it } from "vitest";
import { checkRows, labelConfig, newRow } from "./labelRows";

describe("label rows", () => {
  it("a hotkey used twice and a reserved key are named by field", () => {
    const rows = [
      { ...newRow(0, "car"), hotkey: "q" },
      { ...newRow(1, "bus"), hotkey: "q" },
      { ...newRow(2, "van"), hotkey: "h" },
    ];
    expect(checkRows(rows)).toEqual({
      "label_config.bus.hotkey": ["'q' is already the hotkey of car"],
      "label_config.van.hotkey": ["one letter or digit, not h, s, f or n"],
    });
  });

  it("duplicate or empty names, bad colours, everything retired", () => {
    expect(checkRows([newRow(0, "a"), newRow(1, "a")]).labels).toEqual(['"a" is there twice']);
    expect(checkRows([newRow(0, "")]).labels).toEqual(["every label needs a name"]);
    expect(checkRows([{ ...newRow(0, "a"), colour: "red" }])["label_config.a.colour"]).toBeTruthy();
    expect(checkRows([{ ...newRow(0, "a"), retired: true }]).label_config).toBeTruthy();
    expect(checkRows([])).toHaveProperty("labels");
  });

  it("builds the label_config body with null for no hotkey", () => {
    expect(labelConfig([{ ...newRow(0, " car "), hotkey: "c" }, newRow(1, "bus")])).toEqual({
      car: { colour: "#1f77b4", hotkey: "c", retired: false },
      bus: { colour: "#2ca02c", hotkey: null, retired: false },
    });
  });
});
