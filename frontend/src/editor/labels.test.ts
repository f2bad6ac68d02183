import { describe, expect, it } from "vitest";
import { defaultHotkeys, effectiveHotkeys, keyMap, labelDetails } from "./labels";

describe("label hotkeys", () => {
  it("digit labels keep their digit; word labels take 1-9 then 0", () => {
    const digits = [..."0123456789"];
    expect(defaultHotkeys(digits)).toEqual(Object.fromEntries(digits.map((d) => [d, d])));
    const words = Array.from({ length: 11 }, (_, i) => `w${i}`);
    expect(Object.values(defaultHotkeys(words))).toEqual([..."1234567890"]);
    expect(defaultHotkeys(words).w10).toBeUndefined();
  });

  it("a user's remap takes the key from whichever label had it", () => {
    const details = labelDetails(["car", "person", "bike"]);
    const keys = effectiveHotkeys(details, { bike: "1" });
    expect(keys).toEqual({ car: null, person: "2", bike: "1" });
    expect(keyMap(["car", "person", "bike"], keys)).toEqual({ "1": 2, "2": 1 });
  });

  it("retired labels have no key, even remapped", () => {
    const details = [
      { name: "a", colour: "#000000", hotkey: "1", retired: false },
      { name: "b", colour: "#000000", hotkey: null, retired: true },
    ];
    expect(effectiveHotkeys(details, { b: "2" })).toEqual({ a: "1", b: null });
  });
});
