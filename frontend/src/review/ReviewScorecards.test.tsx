// @vitest-environment jsdom
// The review outcomes on the scorecards page, against the shapes of annotation_qc/review/selectors.py.
import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ReviewerScorecardRow, ReviewScorecardRow } from "../api/review";
import { mockFetch } from "../test/mockFetch";
import { managerMe, renderAs, resetApiAroundEachTest } from "../test/session";
import { ReviewScorecards } from "./ReviewScorecards";

const P = "/api/v1/projects/2";
const annotator: ReviewScorecardRow = {
  user_id: 4,
  username: "ann",
  reviews: 4,
  first_pass_acceptance: { value: 0.75, low: 0.3, high: 0.95 },
  rejection_rate: { value: 0.25, low: 0.05, high: 0.7 },
  object_rejection_rate: { value: 0.1, low: 0.03, high: 0.3, n: 20 },
  objects_fixed_per_review: { value: 0.5, low: 0, high: 1.2 },
  rework_rounds_per_review: { value: 0.25, low: 0, high: 0.7 },
  time_in_review_seconds: { median: 42, mean: 50, n: 3 },
  time_in_queue_seconds: { median: 3600, mean: 4000, n: 4 },
  benchmark_accuracy: { value: null, low: null, high: null, n: 0 },
  trend: [{ week: "2026-11-30", reviews: 4, first_pass_accepted: 3 }],
};
const reviewer: ReviewerScorecardRow = {
  user_id: 9,
  username: "rev",
  status: "flagged",
  flag_reason: "overall",
  reviews: 6,
  accepted: 4,
  fixed: 1,
  rejected: 1,
  benchmarks: { n: 8, caught: 1, accuracy: 0.125, low: 0.02, high: 0.47 },
};

resetApiAroundEachTest();

describe("ReviewScorecards", () => {
  it("shows each annotator's review outcomes apart from benchmark accuracy, and the reviewers' record", async () => {
    mockFetch({
      [`GET ${P}/review-scorecard/`]: { status: 200, body: { results: [annotator] } },
      [`GET ${P}/reviewer-scorecard/`]: { status: 200, body: { results: [reviewer] } },
    });
    renderAs(managerMe, <ReviewScorecards projectId={2} />);
    const row = await screen.findByTestId("review-scorecard-row");
    expect(row.dataset.user).toBe("ann");
    expect(screen.getByTestId("first-pass").textContent).toContain("75%");
    expect(screen.getByLabelText(/First-pass acceptance: 75% \(95% interval 30% to 95%\)/)).toBeTruthy();
    expect(screen.getByTestId("time-in-review").textContent).toBe("42 s");
    expect(screen.getByLabelText(/Object rejection rate: 10% \(95% interval 3% to 30%\)/)).toBeTruthy();
    expect(screen.getByTestId("object-rejection").getAttribute("title")).toBe("20 boxes given a verdict");
    expect(row.textContent).toContain("2026-11-30: 3/4");
    const checker = await screen.findByTestId("reviewer-row");
    expect(checker.dataset.status).toBe("flagged");
    expect(checker.textContent).toContain("1/8");
  });

  it("shows nothing when no review happened", async () => {
    const api = mockFetch({
      [`GET ${P}/review-scorecard/`]: { status: 200, body: { results: [] } },
      [`GET ${P}/reviewer-scorecard/`]: { status: 200, body: { results: [] } },
    });
    const { container } = renderAs(managerMe, <ReviewScorecards projectId={2} />);
    await new Promise((r) => setTimeout(r, 50));
    expect(api.callsTo(`GET ${P}/reviewer-scorecard/`)).toHaveLength(1);
    expect(container.querySelector("[data-testid=review-scorecards]")).toBeNull();
  });
});
