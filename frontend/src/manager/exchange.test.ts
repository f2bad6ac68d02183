import { describe, expect, it } from "vitest";
import { fixtures } from "../test/fixtures";
import {
  checkImport,
  exportFormatsFor,
  exportOptionsText,
  importFormatsFor,
  importResult,
  importTargetsFor,
  placeImportErrors,
  shortSha,
  type ImportDraft,
} from "./exchange";

const file = new File(["{}"], "coco.json");
const draft = (over: Partial<ImportDraft> = {}): ImportDraft => ({
  format: "coco",
  as: "items",
  modelVersion: "",
  file,
  images: [],
  ...over,
});

describe("formats and targets", () => {
  it("offers COCO for bbox projects only", () => {
    expect(exportFormatsFor("bbox")).toContain("coco");
    expect(exportFormatsFor("classification")).not.toContain("coco");
    expect(importFormatsFor("classification")).toEqual(["label_studio", "csv", "jsonl", "images"]);
  });

  it("offers gold to managers and to staff who are not members, not to ML engineers", () => {
    expect(importTargetsFor("manager", false)).toContain("gold");
    expect(importTargetsFor(null, true)).toContain("gold");
    expect(importTargetsFor("ml_engineer", true)).toEqual(["items", "predictions"]); // the membership wins
    expect(importTargetsFor("ml_engineer", false)).toEqual(["items", "predictions"]);
  });
});

describe("checkImport", () => {
  it("needs a model version for predictions", () => {
    expect(checkImport(draft({ as: "predictions", modelVersion: "  " }), ["items", "predictions"])).toEqual({
      model_version: ["required when importing predictions"],
    });
    expect(checkImport(draft({ as: "predictions", modelVersion: "v2" }), ["items", "predictions"])).toEqual({});
  });

  it("needs something to upload, takes bare images as items only, and refuses a target not offered", () => {
    expect(checkImport(draft({ file: null }), ["items"]).file).toEqual(["choose a file to upload"]);
    expect(checkImport(draft({ format: "images", file: null, images: [file] }), ["items"])).toEqual({});
    expect(checkImport(draft({ format: "images", as: "gold" }), ["items", "gold"]).as).toEqual([
      "bare images carry no annotations: import them as items",
    ]);
    expect(checkImport(draft({ as: "gold" }), ["items", "predictions"]).as).toHaveLength(1);
  });
});

describe("placeImportErrors", () => {
  it("names the image an images[i] error is about and sends unknown paths to other", () => {
    const images = [new File(["x"], "ok.png"), new File(["y"], "notes.png")];
    const placed = placeImportErrors({ ...fixtures.import400Images().errors, data: ["mixed with an upload"] }, images);
    expect(placed.images).toEqual(["images[1] notes.png: not a PNG, JPEG, WebP or GIF image (judged by its content)"]);
    expect(placed.other).toEqual(["data: mixed with an upload"]);
    expect(placeImportErrors(fixtures.import400ModelVersion().errors, []).model_version).toEqual([
      "required when importing predictions",
    ]);
    expect(placeImportErrors(fixtures.import403Gold().errors, [])).toEqual({ as: ["gold is imported by managers"] });
  });
});

describe("formatting", () => {
  it("hashes", () => {
    expect(shortSha("334feba41c085d9e8a8f7470c1a13da3d0a33134f488d984561186745114c25b")).toBe("334feba41c08");
    expect(shortSha("")).toBe("—");
  });
});

describe("table summaries", () => {
  it("says what an export holds and what an import came to", () => {
    const [withBoth, plain] = fixtures.exports().results;
    expect(exportOptionsText(withBoth)).toBe("with raw answers and gold items");
    expect(exportOptionsText(plain)).toBe("final labels only");
    const [rejected, imported] = fixtures.imports().results;
    expect(importResult(rejected)).toBe("3 problems; nothing imported");
    expect(importResult(imported)).toBe("2 created");
    expect(importResult({ ...imported, status: "failed", report: {} })).toBe("failed before reading the file");
  });
});
