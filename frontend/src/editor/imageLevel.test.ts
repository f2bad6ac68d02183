import { describe, expect, it } from "vitest";
import { needsFullResolution, previewUrl } from "./imageLevel";

describe("image level", () => {
  it("asks for the preview by query", () => {
    expect(previewUrl("/api/v1/images/abc/")).toBe("/api/v1/images/abc/?size=preview");
    expect(previewUrl("/api/v1/items/5/image/?fresh=1")).toBe("/api/v1/items/5/image/?fresh=1&size=preview");
  });

  it("leaves an image URL that is not the API's alone (it knows no preview)", () => {
    expect(previewUrl("https://images.example/a.png?sig=1")).toBe("https://images.example/a.png?sig=1");
  });

  it("keeps the preview while it has at least one pixel per screen pixel", () => {
    // An 8000 px wide original with a 2048 px preview, fitted into a 1000 px canvas.
    expect(needsFullResolution(1000 / 8000, 2048, 8000)).toBe(false);
    expect(needsFullResolution(2048 / 8000, 2048, 8000)).toBe(false);
    expect(needsFullResolution(0.3, 2048, 8000)).toBe(true);
    expect(needsFullResolution(4, 2048, 8000)).toBe(true);
  });

  it("never swaps an image that is already the original", () => {
    expect(needsFullResolution(8, 640, 640)).toBe(false);
    expect(needsFullResolution(8, 0, 640)).toBe(false);
  });
});
