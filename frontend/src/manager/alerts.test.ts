import { describe, expect, it } from "vitest";
import { fixtures } from "../test/fixtures";
import { checkSummary, subjectText } from "./alerts";
import { checkWebhook, placeWebhookErrors } from "./webhooks";

describe("alerts", () => {
  it("names an annotator subject by username, or by id when unknown", () => {
    const names = new Map([[5, "annotator3"]]);
    expect(subjectText("annotator:5", names)).toBe("annotator3");
    expect(subjectText("annotator:9", names)).toBe("annotator #9");
    expect(subjectText("project", names)).toBe("project");
  });

  it("sums up a check, with the rules that could not be checked", () => {
    const check = { ...fixtures.alertsCheckResolved(), rules: 1, failed: {} };
    expect(checkSummary(check)).toBe(`Checked 1 rule: ${check.fired.length} fired, ${check.resolved} resolved, ${check.open} open.`);
    expect(checkSummary({ ...check, failed: { "3": "boom" } })).toMatch(/, 1 could not be checked\.$/);
  });
});

describe("webhooks", () => {
  it("takes http and https URLs only, and puts the server's errors on the form's fields", () => {
    expect(checkWebhook(" https://hooks.example.com/x ")).toEqual({});
    expect(checkWebhook("ftp://example.org/hook")).toEqual({ url: ["must be an http:// or https:// URL"] });
    expect(placeWebhookErrors(fixtures.webhook400Url().errors)).toEqual({ url: ["Enter a valid URL."] });
    expect(placeWebhookErrors({ body: ["not JSON"], active: ["not a boolean"] })).toEqual({
      "": ["not JSON"],
      active: ["not a boolean"],
    });
  });
});
