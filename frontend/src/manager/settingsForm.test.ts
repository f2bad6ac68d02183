import { describe, expect, it } from "vitest";
import { parseForm, placeServerErrors, toFormValues } from "./settingsForm";

const settings = {
  overlap: 2,
  overlap_fraction: 0.1,
  benchmark_rate: 0.05,
  lease_seconds: 1800,
  max_boxes: 500,
  flag_threshold: 0.6,
  strategy: "import_order",
  lint_config: { oversized_box: { max_area_fraction: 0.8 } },
  calibration_window: 10,
};

describe("settings form", () => {
  it("sends only the fields that changed, under the server's linter key", () => {
    const values = toFormValues(settings);
    expect(parseForm(values, settings)).toEqual({ patch: {}, errors: {} });
    values.benchmark_rate = "0.2";
    values.lint = '{"oversized_box": {"max_area_fraction": 0.5}}';
    expect(parseForm(values, settings)).toEqual({
      patch: { benchmark_rate: 0.2, lint_config: { oversized_box: { max_area_fraction: 0.5 } } },
      errors: {},
    });
    expect(parseForm({ ...values }, { ...settings, lint: {}, lint_config: undefined }).patch).toHaveProperty("lint");
  });

  it("rejects input that is not a number or not JSON before sending", () => {
    const values = { ...toFormValues(settings), overlap: "2.5", lease_seconds: "", lint: "{oops" };
    expect(parseForm(values, settings).errors).toEqual({
      overlap: ["Enter a whole number."],
      lease_seconds: ["Enter a number."],
      lint: ["Not valid JSON."],
    });
  });

  it("places the API's field messages next to the fields", () => {
    expect(
      placeServerErrors({
        "settings.benchmark_rate": ["Ensure this value is less than or equal to 1.0."],
        "settings.lint_config": ["unknown rule 'nope'"],
        "settings.strategy": ["must be one of import_order, random"],
        "settings.mystery": ["unknown setting"],
      }),
    ).toEqual({
      benchmark_rate: ["Ensure this value is less than or equal to 1.0."],
      lint: ["unknown rule 'nope'"],
      strategy: ["must be one of import_order, random"],
      "": ["settings.mystery: unknown setting"],
    });
  });
});

describe("settings the server did not send", () => {
  it("may stay empty", () => {
    const partial = { overlap: 2, lint_config: {} };
    expect(parseForm(toFormValues(partial), partial)).toEqual({ patch: {}, errors: {} });
  });
});
