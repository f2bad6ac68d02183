// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetCsrf } from "../api";
import type { Project } from "../api/types";
import { mockFetch } from "../test/mockFetch";
import { SettingsForm } from "./SettingsPage";

const project: Project = {
  id: 2,
  name: "Shapes",
  kind: "bbox",
  labels: ["circle"],
  role: "manager",
  settings: { overlap: 2, overlap_fraction: 0.1, benchmark_rate: 0.05, lease_seconds: 1800, strategy: "import_order", lint_config: {} },
};

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
});
