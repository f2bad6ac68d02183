// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetCsrf } from "../api";
import { fixtures } from "../test/fixtures";
import { mockFetch } from "../test/mockFetch";
import { SettingsForm } from "./SettingsPage";

const project = fixtures.projectBbox();

beforeEach(() => resetCsrf());
afterEach(() => vi.unstubAllGlobals());

describe("SettingsForm", () => {
  it("shows the API's 400 messages next to the fields", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "PATCH /api/v1/projects/2/": {
        status: 400,
        body: {
          detail: "Invalid project settings.",
          errors: { "settings.benchmark_rate": ["Ensure this value is less than or equal to 1.0."] },
        },
      },
    });
    render(<SettingsForm project={project} />);
    fireEvent.change(screen.getByTestId("settings-field-benchmark_rate"), { target: { value: "1.5" } });
    fireEvent.click(screen.getByTestId("settings-save"));
    expect((await screen.findByTestId("settings-error-benchmark_rate")).textContent).toBe(
      "Ensure this value is less than or equal to 1.0.",
    );
    expect(screen.getByTestId("settings-detail").textContent).toBe("Invalid project settings.");
    expect(screen.getByTestId("settings-field-benchmark_rate").getAttribute("aria-invalid")).toBe("true");
    expect(api.callsTo("PATCH /api/v1/projects/2/")[0].body).toEqual({ settings: { benchmark_rate: 1.5 } });
  });

  it("saves and shows the stored values", async () => {
    mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "PATCH /api/v1/projects/2/": { status: 200, body: { ...project, settings: { ...project.settings, overlap: 3 } } },
    });
    render(<SettingsForm project={project} />);
    fireEvent.change(screen.getByTestId("settings-field-overlap"), { target: { value: "3" } });
    fireEvent.click(screen.getByTestId("settings-save"));
    await waitFor(() => expect(screen.getByTestId("settings-saved")).toBeTruthy());
    expect(screen.getByTestId("settings-field-overlap")).toHaveProperty("value", "3");
  });

  it("edits a linter threshold and shows the server's message for it", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "PATCH /api/v1/projects/2/": {
        status: 400,
        body: {
          detail: "Invalid linter settings: oversized_box.area_fraction: must be above 0 and at most 1, got 1.5",
          errors: { "settings.lint_config": ["oversized_box.area_fraction: must be above 0 and at most 1, got 1.5"] },
        },
      },
    });
    render(<SettingsForm project={project} />);
    const field = screen.getByTestId("settings-field-lint.oversized_box.area_fraction");
    expect(field).toHaveProperty("value", "0.8");
    // The form checks the range itself first.
    fireEvent.change(field, { target: { value: "1.5" } });
    fireEvent.click(screen.getByTestId("settings-save"));
    expect((await screen.findByTestId("settings-error-lint.oversized_box.area_fraction")).textContent).toBe(
      "Must be above 0 and at most 1.",
    );
    expect(api.callsTo("PATCH /api/v1/projects/2/")).toHaveLength(0);
    // A value the form accepts goes to the server as an override; the server's message lands on the field.
    fireEvent.change(field, { target: { value: "0.5" } });
    fireEvent.click(screen.getByTestId("settings-save"));
    expect((await screen.findByText("must be above 0 and at most 1, got 1.5")).closest("ul")?.dataset.testid).toBe(
      "settings-error-lint.oversized_box.area_fraction",
    );
    expect(api.callsTo("PATCH /api/v1/projects/2/")[0].body).toEqual({
      settings: { lint_config: { oversized_box: { area_fraction: 0.5 } } },
    });
  });

  it("turns a rule off with its checkbox, which disables its thresholds", () => {
    render(<SettingsForm project={project} />);
    fireEvent.click(screen.getByTestId("settings-field-lint.too_fast.enabled"));
    expect(screen.getByTestId("settings-field-lint.too_fast.min_seconds")).toHaveProperty("disabled", true);
    expect(screen.getByTestId("settings-field-lint.oversized_box.area_fraction")).toHaveProperty("disabled", false);
  });
});
