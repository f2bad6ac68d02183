// @vitest-environment jsdom
import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Accuracy, Scorecard } from "../api/types";
import { sortScorecards } from "../manager/scorecardSort";
import { ScorecardsTable } from "./ScorecardsTable";

const acc = (accuracy: number | null, n = 10): Accuracy => ({
  n,
  correct: accuracy === null ? 0 : Math.round(accuracy * n),
  accuracy,
  low: accuracy === null ? null : Math.max(0, accuracy - 0.2),
  high: accuracy === null ? null : Math.min(1, accuracy + 0.1),
});

function card(user_id: number, username: string, accuracy: number | null, extra: Partial<Scorecard> = {}): Scorecard {
  return {
    user_id,
    username,
    status: "ok",
    tasks_done: 10 * user_id,
    median_seconds: 30 / user_id,
    benchmarks: acc(accuracy),
    by_error_kind: { shift: acc(accuracy), drop: acc(null, 0) },
    lint_finding_rate: 0.1 * user_id,
    agreement: null,
    trend: [
      { t: "2026-01-01T00:00:00Z", accuracy: 0.5 },
      { t: 1767312000, accuracy: accuracy ?? 0.5 },
    ],
    ...extra,
  };
}

const cards = [
  card(1, "carol", 0.9),
  card(2, "alice", null, { status: "calibrating" }),
  card(3, "bob", 0.4, { status: "flagged", agreement: 0.55 }),
];

const order = () => screen.getAllByTestId("scorecard-row").map((r) => r.dataset.username);

describe("ScorecardsTable", () => {
  it("starts with the lowest benchmark accuracy first, missing values last", () => {
    render(<ScorecardsTable projectId={7} cards={cards} />);
    expect(order()).toEqual(["bob", "carol", "alice"]);
  });

  it("sorts by a clicked column and reverses on a second click", () => {
    render(<ScorecardsTable projectId={7} cards={cards} />);
    fireEvent.click(screen.getByTestId("sort-username"));
    expect(order()).toEqual(["alice", "bob", "carol"]);
    fireEvent.click(screen.getByTestId("sort-username"));
    expect(order()).toEqual(["carol", "bob", "alice"]);
    fireEvent.click(screen.getByTestId("sort-tasks_done"));
    expect(order()).toEqual(["bob", "alice", "carol"]); // numbers start descending
    fireEvent.click(screen.getByTestId("sort-status"));
    expect(order()).toEqual(["bob", "alice", "carol"]); // flagged, calibrating, ok
  });

  it("has a column per error kind, an interval bar, a trend plot and a drill-down link", () => {
    render(<ScorecardsTable projectId={7} cards={cards} />);
    expect(screen.getByTestId("sort-kind-shift")).toBeTruthy();
    expect(screen.getByTestId("sort-kind-drop")).toBeTruthy();
    const bob = screen.getAllByTestId("scorecard-row")[0];
    expect(bob.querySelector("[data-testid=interval] svg")?.getAttribute("aria-label")).toBe(
      "bob benchmark accuracy: 40% (95% interval 20%–50%)",
    );
    expect(bob.querySelector("[data-testid=trend-plot]")).not.toBeNull();
    expect(bob.querySelector("[data-testid=drilldown-link]")?.getAttribute("href")).toBe(
      "/projects/7/annotators/3/benchmarks",
    );
    expect(bob.querySelector("[data-testid=status-badge]")?.textContent).toBe("flagged");
  });
});

describe("sortScorecards", () => {
  it("puts missing values last in both directions", () => {
    const by = (dir: "asc" | "desc") => sortScorecards(cards, "agreement", dir).map((c) => c.username);
    expect(by("asc")).toEqual(["bob", "alice", "carol"]);
    expect(by("desc")).toEqual(["bob", "alice", "carol"]);
    expect(sortScorecards(cards, "kind:shift", "desc").map((c) => c.username)).toEqual(["carol", "bob", "alice"]);
  });
});
