import { describe, expect, it } from "vitest";
import { fixtures } from "../test/fixtures";
import { checkParam, paramHint, paramRange, placeRuleErrors, ruleCreateBody, ruleFormValues, rulePatch } from "./alertRules";

const kinds = fixtures.alertRuleKinds();
const spec = (kind: string) => kinds.find((k) => k.kind === kind)!;

describe("parameters from GET alert-rules/kinds/", () => {
  it("describes each parameter's range and default as the hint", () => {
    const accuracy = spec("annotator_accuracy_below").params;
    expect(paramRange(accuracy.threshold)).toBe("above 0 and at most 1");
    expect(paramRange(accuracy.statistic)).toBe("one of point, upper");
    expect(paramHint(accuracy.statistic)).toMatch(/below the threshold\)\. Default upper; one of point, upper\.$/);
    expect(paramHint(spec("queue_dry").params.max_open_slots)).toBe(
      "Alert when the open slots of regular items fall to this many or fewer. Default 0; at least 0 and at most 10000000.",
    );
  });

  it("checks values as the server does", () => {
    const threshold = spec("annotator_accuracy_below").params.threshold;
    expect(checkParam(threshold, "0")).toEqual({ error: "must be above 0" });
    expect(checkParam(threshold, "1.5")).toEqual({ error: "must be at most 1" });
    expect(checkParam(threshold, "")).toEqual({ error: "required" });
    expect(checkParam(threshold, "abc")).toEqual({ error: "must be a number, got abc" });
    expect(checkParam(threshold, "0.5")).toEqual({ value: 0.5 });
    expect(checkParam(spec("agreement_below").params.threshold, "-1")).toEqual({ value: -1 });
    expect(checkParam(spec("agreement_below").params.statistic, "median")).toEqual({
      error: "must be one of point, upper",
    });
  });
});

describe("create and edit", () => {
  it("a new rule starts from the kind's defaults and sends every parameter", () => {
    const values = ruleFormValues(spec("queue_dry"));
    expect(values.params).toEqual({ max_open_slots: "0", min_annotators: "1" });
    values.params.max_open_slots = "5";
    expect(ruleCreateBody({ ...values, name: " Low queue " }, spec("queue_dry")).body).toEqual({
      kind: "queue_dry",
      name: "Low queue",
      severity: "warning",
      enabled: true,
      params: { max_open_slots: 5, min_annotators: 1 },
    });
  });

  it("an edit patches only what changed, and nothing when nothing did", () => {
    const rule = fixtures.alertRules()[0]; // agreement_below, threshold 0.95, min_items 1
    const values = ruleFormValues(spec(rule.kind), rule);
    expect(values.params.threshold).toBe("0.95");
    expect(rulePatch(values, spec(rule.kind), rule).patch).toEqual({});
    expect(rulePatch({ ...values, severity: "warning", params: { ...values.params, threshold: "0.8" } }, spec(rule.kind), rule).patch).toEqual({
      severity: "warning",
      params: { threshold: 0.8 },
    });
  });

  it("reports every bad parameter under its server path", () => {
    const values = ruleFormValues(spec("agreement_below"));
    values.params.threshold = "2";
    values.params.min_items = "0";
    expect(ruleCreateBody(values, spec("agreement_below")).errors).toEqual({
      "params.threshold": ["must be at most 1"],
      "params.min_items": ["must be at least 1"],
    });
  });
});

describe("placeRuleErrors", () => {
  it("puts a parameter's error on its field and names what the form has no field for", () => {
    const agreement = spec("agreement_below");
    expect(placeRuleErrors(fixtures.alertRule400().errors, agreement)).toEqual({ "params.threshold": ["must be at most 1"] });
    expect(placeRuleErrors({ "params.nope": ["unknown"], non_field_errors: ["whole rule"], name: ["too long"] }, agreement)).toEqual({
      "": ["params.nope: unknown", "whole rule"],
      name: ["too long"],
    });
  });
});
