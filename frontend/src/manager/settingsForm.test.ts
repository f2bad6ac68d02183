import { describe, expect, it } from "vitest";
import type { ProjectSettings } from "../api/types";
import { fixtures } from "../test/fixtures";
import { LINT_RULES, lintFieldName, lintRulesFor, parseForm, placeServerErrors, toFormValues } from "./settingsForm";

const settings = (): ProjectSettings => fixtures.projectBbox().settings as ProjectSettings;

describe("settings form", () => {
  it("covers every setting the server sends", () => {
    const values = toFormValues(settings());
    const sent = Object.keys(settings()).filter((k) => k !== "lint_config");
    for (const name of sent) expect(values).toHaveProperty(name);
    expect(values.flag_action).toBe("alert");
    expect(values.show_own_score).toBe("false");
  });

  it("sends only the fields that changed", () => {
    const original = settings();
    const values = toFormValues(original);
    expect(parseForm(values, original)).toEqual({ patch: {}, errors: {} });
    values.benchmark_rate = "0.2";
    values.show_own_score = "true";
    values.flag_action = "stop";
    expect(parseForm(values, original)).toEqual({
      patch: { benchmark_rate: 0.2, show_own_score: true, flag_action: "stop" },
      errors: {},
    });
  });

  it("shows the linter defaults and sends only the overrides", () => {
    const original = { ...settings(), lint_config: { too_fast: { enabled: false } } };
    const values = toFormValues(original);
    expect(values[lintFieldName("oversized_box", "area_fraction")]).toBe("0.8");
    expect(values[lintFieldName("too_fast", "enabled")]).toBe("false");
    expect(parseForm(values, original).patch).toEqual({});

    values[lintFieldName("oversized_box", "area_fraction")] = "0.6";
    values[lintFieldName("duplicate_box", "severity")] = "error";
    expect(parseForm(values, original).patch).toEqual({
      lint_config: {
        too_fast: { enabled: false },
        oversized_box: { area_fraction: 0.6 },
        duplicate_box: { severity: "error" },
      },
    });

    values[lintFieldName("too_fast", "enabled")] = "true"; // back to the default: the override goes
    values[lintFieldName("oversized_box", "area_fraction")] = "0.8";
    values[lintFieldName("duplicate_box", "severity")] = "warning";
    expect(parseForm(values, original).patch).toEqual({ lint_config: {} });
  });

  it("checks numbers and the linter ranges before sending", () => {
    const original = settings();
    const values = {
      ...toFormValues(original),
      overlap: "2.5",
      lease_seconds: "",
      [lintFieldName("oversized_box", "area_fraction")]: "0",
      [lintFieldName("too_many_boxes", "max_boxes")]: "1.5",
    };
    expect(parseForm(values, original).errors).toEqual({
      overlap: ["Enter a whole number."],
      lease_seconds: ["Enter a number."],
      [lintFieldName("oversized_box", "area_fraction")]: ["Must be above 0 and at most 1."],
      [lintFieldName("too_many_boxes", "max_boxes")]: ["Enter a whole number."],
    });
  });

  it("places the API's field messages next to the fields", () => {
    expect(
      placeServerErrors({
        "settings.benchmark_rate": ["Ensure this value is less than or equal to 1.0."],
        "settings.lint_config": [
          "oversized_box.area_fraction: must be above 0 and at most 1, got 0",
          "nope: unknown lint rule 'nope'",
        ],
        "settings.strategy": ["must be one of import_order, random"],
        "settings.mystery": ["unknown setting"],
      }),
    ).toEqual({
      benchmark_rate: ["Ensure this value is less than or equal to 1.0."],
      [lintFieldName("oversized_box", "area_fraction")]: ["must be above 0 and at most 1, got 0"],
      lint: ["nope: unknown lint rule 'nope'"],
      strategy: ["must be one of import_order, random"],
      "": ["settings.mystery: unknown setting"],
    });
  });

  it("offers the box rules only to bbox projects", () => {
    expect(lintRulesFor("classification").map((r) => r.code)).toEqual(["unknown_label", "too_fast"]);
    expect(lintRulesFor("bbox").length).toBe(LINT_RULES.length);
  });
});

describe("settings the server did not send", () => {
  it("may stay empty", () => {
    const partial = { overlap: 2, lint_config: {} };
    expect(parseForm(toFormValues(partial), partial)).toEqual({ patch: {}, errors: {} });
  });
});
