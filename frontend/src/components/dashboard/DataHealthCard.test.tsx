// @vitest-environment jsdom
import { render, screen, waitFor, within, fireEvent } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Coverage, DriftBatch } from "../../api/dataHealth";
import { mockFetch } from "../../test/mockFetch";
import { DataHealthCard, coverageRows, driftRows } from "./DataHealthCard";

const batch = (id: number, drifted: boolean, effect: number, stats: string[] = []): DriftBatch => ({
  batch: id,
  created_at: "2026-12-07T10:00:00Z",
  items: 5000,
  quarantined: 0,
  status: "tested",
  drifted,
  drifted_statistics: stats,
  max_effect: effect,
  min_p_adjusted: drifted ? 1e-9 : 0.4,
  effects: {},
});

const coverage: Coverage = {
  export_id: null,
  labels: [
    { value: "car", counts: { items: 9, labeled: 6 }, shares: { items: 0.9, labeled: 0.75 }, target: 0.5, shortfall: 0, under_represented: false },
    { value: "bike", counts: { items: 1, labeled: 2 }, shares: { items: 0.1, labeled: 0.25 }, target: 0.5, shortfall: 0.5, under_represented: true },
  ],
  attributes: {},
  boxes_per_image: null,
  box_sizes: null,
  boost: 0,
};

describe("data health card", () => {
  it("rows put drifted batches in their own series and mark labels under target", () => {
    const rows = driftRows([batch(3, false, 0.05), batch(4, true, 0.31, ["feature:f3"])]);
    expect(rows).toEqual([
      { category: "#3", effect: 0.05, drifted: null, statistics: "—" },
      { category: "#4", effect: null, drifted: 0.31, statistics: "feature:f3" },
    ]);
    expect(coverageRows(coverage).map((r) => r.category)).toEqual(["car", "bike (under target)"]);
  });

  it("draws drift per batch and coverage from the API, with the figures as a table", async () => {
    mockFetch({
      "GET /api/v1/projects/2/data-health/drift/": {
        status: 200,
        body: { batches: [batch(3, false, 0.04), batch(4, true, 0.31, ["feature:f3", "feature:f9"])] },
      },
      "GET /api/v1/projects/2/data-health/coverage/": { status: 200, body: coverage },
    });
    render(<DataHealthCard projectId={2} />);
    await waitFor(() => expect(screen.getByTestId("drift-summary").textContent).toContain("1 of 2 batches drifted"));
    expect(screen.getByTestId("drift-summary").textContent).toContain("#4 (feature:f3, feature:f9)");
    const chart = screen.getByTestId("drift-chart");
    expect(chart.getAttribute("data-rows")).toBe("2");
    fireEvent.click(screen.getByTestId("drift-chart-table-toggle"));
    const cells = within(screen.getByTestId("drift-chart-table")).getAllByRole("cell").map((c) => c.textContent);
    expect(cells).toContain("#4");
    await waitFor(() => expect(screen.getByTestId("coverage-chart").getAttribute("data-rows")).toBe("2"));
  }, 30_000); // Recharts on a busy two-core machine

  it("says when nothing was compared yet", async () => {
    mockFetch({
      "GET /api/v1/projects/2/data-health/drift/": { status: 200, body: { batches: [] } },
      "GET /api/v1/projects/2/data-health/coverage/": { status: 403, body: { detail: "no" } },
    });
    render(<DataHealthCard projectId={2} />);
    await waitFor(() => expect(screen.getByTestId("drift-summary").textContent).toBe("No batch compared with the reference yet."));
  });
});
