// @vitest-environment jsdom
// The benchmark audit card: no audit yet, then a run that finds a tell and names it.
import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { BenchmarkAudit } from "../../api/types";
import { mockFetch } from "../../test/mockFetch";
import { resetApiAroundEachTest } from "../../test/session";
import { BenchmarkAuditCard } from "./BenchmarkAuditCard";

resetApiAroundEachTest();

const P = "/api/v1/projects/2";
const telling: BenchmarkAudit = {
  id: 4,
  computed_at: "2026-12-07T10:00:00Z",
  n_tasks: 240,
  n_benchmarks: 24,
  auc: 0.97,
  low: 0.93,
  high: 0.99,
  folds: 5,
  features: [
    { name: "score_mean", auc: 0.98, higher_on_benchmarks: false },
    { name: "body_bytes", auc: 0.6, higher_on_benchmarks: false },
  ],
  reason: null,
};

describe("BenchmarkAuditCard", () => {
  it("says there is no audit, runs one and shows the tell", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`GET ${P}/benchmark-audit/`]: { status: 200, body: { audit: null } },
      [`POST ${P}/benchmark-audit/`]: { status: 201, body: { audit: telling } },
    });
    render(<BenchmarkAuditCard projectId={2} />);
    expect(await screen.findByTestId("audit-empty")).toBeTruthy();
    fireEvent.click(screen.getByTestId("audit-run"));
    expect((await screen.findByTestId("audit-auc")).textContent).toContain("0.97");
    expect(screen.getByTestId("audit-verdict").textContent).toContain("can tell benchmarks from work");
    const features = screen.getAllByTestId("audit-feature");
    expect(features[0].textContent).toContain("score mean");
    expect(api.calls.some((c) => c.method === "POST" && c.path === `${P}/benchmark-audit/`)).toBe(true);
  });

  it("shows why there is no verdict", async () => {
    mockFetch({
      [`GET ${P}/benchmark-audit/`]: {
        status: 200,
        body: { audit: { ...telling, auc: null, low: null, high: null, reason: "needs at least 5 benchmarks" } },
      },
    });
    render(<BenchmarkAuditCard projectId={2} />);
    expect((await screen.findByTestId("audit-reason")).textContent).toContain("needs at least 5 benchmarks");
  });
});
