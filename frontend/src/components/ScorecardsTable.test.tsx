// @vitest-environment jsdom
import { fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Accuracy, Scorecard } from "../api/types";
import { errorKinds, SKILL_MIN_EVIDENCE, skillView, sortScorecards } from "../manager/scorecardSort";
import { fixtures } from "../test/fixtures";
import { ScorecardsTable } from "./ScorecardsTable";

const NONE: Accuracy = { n: 0, correct: 0, accuracy: null, low: 0, high: 1 };

/** A scorecard as the server sends it, starting from a real one. */
function card(user_id: number, username: string, accuracy: number | null, extra: Partial<Scorecard> = {}): Scorecard {
  const real = fixtures.scorecards()[0];
  const acc: Accuracy =
    accuracy === null
      ? NONE
      : { n: 10, correct: Math.round(accuracy * 10), accuracy, low: Math.max(0, accuracy - 0.2), high: Math.min(1, accuracy + 0.1) };
  return {
    ...real,
    user_id,
    username,
    status: "ok",
    tasks_done: 10 * user_id,
    median_seconds: 30 / user_id,
    median_client_seconds: null,
    benchmarks: acc,
    by_error_kind: { shift: acc, oversize: NONE, drop: NONE, unassisted: NONE },
    lint_finding_rate: 0.1 * user_id,
    agreement: null,
    trend: accuracy === null ? [] : real.trend,
    ...extra,
  };
}

const cards = [
  card(1, "carol", 0.9),
  card(2, "alice", null, { status: "calibrating" }),
  card(3, "bob", 0.4, { status: "flagged", agreement: 0.55 }),
];

/** Cards with skill: two estimates, one still calibrating on little evidence, one with no evidence at all. */
const skilled = [
  card(1, "carol", 0.9, { skill: { estimate: 0.84, low: 0.71, high: 0.93, peer_rows: 40 } }),
  card(2, "alice", null, { status: "calibrating", skill: { estimate: 0.7, low: 0.3, high: 0.95, peer_rows: 3 } }),
  card(3, "bob", 0.4, { status: "flagged", skill: { estimate: 0.38, low: 0.24, high: 0.52, peer_rows: 25 } }),
  card(4, "dave", null, { status: "calibrating", skill: null }),
];

const row = (username: string) => screen.getAllByTestId("scorecard-row").find((r) => r.dataset.username === username)!;

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

  it("has a column only for the error kinds with scored benchmarks", () => {
    render(<ScorecardsTable projectId={7} cards={cards} />);
    expect(screen.getByTestId("sort-kind-shift").textContent).toContain("Shifted");
    expect(screen.queryByTestId("sort-kind-oversize")).toBeNull();
    expect(screen.queryByTestId("sort-kind-unassisted")).toBeNull();
  });

  it("draws the accuracy with its interval, the trend, and links the name to the drill-down", () => {
    render(<ScorecardsTable projectId={7} cards={cards} />);
    const bob = screen.getAllByTestId("scorecard-row")[0];
    expect(bob.querySelector("[data-testid=interval] svg")?.getAttribute("aria-label")).toBe(
      "bob benchmark accuracy: 40% (95% interval 20% to 50%)",
    );
    expect(within(bob).getByTestId("benchmark-count").textContent).toBe("4/10 fixed");
    expect(bob.querySelector("[data-testid=trend-plot]")?.getAttribute("aria-label")).toBe(
      "bob accuracy over time: 4 points, latest 100%",
    );
    const link = within(bob).getByTestId("drilldown-link");
    expect(link.getAttribute("href")).toBe("/projects/7/annotators/3/benchmarks");
    expect(link.textContent).toBe("bob");
    expect(within(bob).getByTestId("status-badge").textContent).toBe("flagged");
  });

  it("shows no interval where nothing was scored (the server sends 0 to 100%)", () => {
    render(<ScorecardsTable projectId={7} cards={cards} />);
    const alice = screen.getAllByTestId("scorecard-row")[2];
    const svg = alice.querySelector("[data-testid=interval] svg");
    expect(svg?.getAttribute("aria-label")).toBe("alice benchmark accuracy: no data");
    expect(svg?.querySelectorAll(".interval-bar").length).toBe(0);
    expect(alice.querySelector("[data-testid=trend-plot]")).toBeNull(); // no points yet
  });

  it("shows skipped benchmarks as misses, flags selective skipping and the peer estimate", () => {
    const skipper = card(4, "dodger", 0.2, {
      status: "flagged",
      benchmarks_skipped: 6,
      skipping: {
        benchmarks_served: 8,
        benchmarks_skipped: 6,
        benchmark_skip_rate: 0.75,
        work_served: 60,
        work_skipped: 2,
        work_skip_rate: 0.0333,
        p_value: 0.00001,
        selective: true,
      },
      peer: { score: 0.31, evidence: 12.5, items: 20, kept_share: 0.9 },
    });
    render(<ScorecardsTable projectId={7} cards={[skipper, cards[0]]} />);
    const row = screen.getAllByTestId("scorecard-row").find((r) => r.dataset.username === "dodger")!;
    expect(within(row).getByTestId("benchmark-count").textContent).toBe("2/10 fixed, 6 skipped (missed)");
    expect(within(row).getByTestId("selective-skipping").getAttribute("title")).toContain("75%");
    expect(within(row).getByTestId("peer-score").textContent).toContain("peer 0.31");
    const other = screen.getAllByTestId("scorecard-row").find((r) => r.dataset.username === "carol")!;
    expect(within(other).queryByTestId("selective-skipping")).toBeNull();
    expect(within(other).queryByTestId("peer-score")).toBeNull();
  });

  it("renders the real scorecards response", () => {
    const real = fixtures.scorecards();
    render(<ScorecardsTable projectId={2} cards={real} />);
    expect(order()).toEqual(["annotator3", "annotator2", "annotator1"]);
    const first = screen.getAllByTestId("scorecard-row")[0];
    expect(within(first).getByTestId("benchmark-count").textContent).toBe("2/5 fixed");
    expect(first.textContent).toContain("65.0%"); // lint finding rate 0.65
    expect(first.textContent).toContain("1.00"); // agreement with peers
    expect(errorKinds(real)).toEqual(["shift", "oversize", "drop", "duplicate", "relabel", "spurious"]);
  });
});

describe("ScorecardsTable skill column", () => {
  it("draws the skill estimate with its interval and the evidence behind it", () => {
    render(<ScorecardsTable projectId={7} cards={skilled} />);
    const carol = within(row("carol")).getByTestId("skill-cell");
    expect(carol.querySelector("[data-testid=interval] svg")?.getAttribute("aria-label")).toBe(
      "carol skill: 84% (95% interval 71% to 93%)",
    );
    expect(carol.querySelectorAll(".interval-bar").length).toBe(3); // the bar and its two ends
    expect(within(carol).getByTestId("skill-evidence").textContent).toBe("10 benchmarks, 40 answers on regular items");
    const bob = within(row("bob")).getByTestId("skill-cell");
    expect(bob.querySelector("[data-testid=interval] svg")?.getAttribute("aria-label")).toBe(
      "bob skill: 38% (95% interval 24% to 52%)",
    );
  });

  it("shows 'calibrating' on too little evidence and a dash on none, never a number", () => {
    render(<ScorecardsTable projectId={7} cards={skilled} />);
    const alice = within(row("alice")).getByTestId("skill-cell");
    expect(alice.textContent).toBe("calibrating");
    expect(within(alice).getByTestId("skill-calibrating").getAttribute("title")).toContain(
      "0 benchmarks, 3 answers on regular items",
    );
    expect(alice.querySelector("[data-testid=interval]")).toBeNull();
    expect(alice.textContent).not.toMatch(/\d+%/);
    const dave = within(row("dave")).getByTestId("skill-cell");
    expect(dave.textContent).toBe("—");
    expect(within(dave).getByTestId("skill-none")).toBeTruthy();
    expect(dave.querySelector("[data-testid=interval]")).toBeNull();
  });

  it("shows the estimate of a calibrating annotator once enough answers stand behind it", () => {
    const busy = card(5, "erin", null, {
      status: "calibrating",
      skill: { estimate: 0.66, low: 0.5, high: 0.79, peer_rows: SKILL_MIN_EVIDENCE },
    });
    expect(skillView(busy)).toMatchObject({ kind: "estimate", estimate: 0.66, benchmarks: 0, answers: 10 });
    const thin = { ...busy, skill: { ...busy.skill!, peer_rows: SKILL_MIN_EVIDENCE - 1 } };
    expect(skillView(thin)).toEqual({ kind: "calibrating", benchmarks: 0, answers: 9 });
    // Out of calibration the figure is shown (its interval says how sure it is).
    expect(skillView({ ...thin, status: "ok" }).kind).toBe("estimate");
    // A row from an older server without the field.
    const { skill: _omitted, ...old } = busy;
    expect(skillView(old as Scorecard)).toEqual({ kind: "none" });
  });

  it("sorts by skill, highest first, then reversed; calibrating and empty rows last", () => {
    render(<ScorecardsTable projectId={7} cards={skilled} />);
    fireEvent.click(screen.getByTestId("sort-skill"));
    expect(order()).toEqual(["carol", "bob", "alice", "dave"]);
    expect(screen.getByTestId("sort-skill").closest("th")?.getAttribute("aria-sort")).toBe("descending");
    fireEvent.click(screen.getByTestId("sort-skill"));
    expect(order()).toEqual(["bob", "carol", "alice", "dave"]);
    expect(screen.getByTestId("sort-skill").closest("th")?.getAttribute("aria-sort")).toBe("ascending");
  });

  it("explains skill in its header tooltip, apart from benchmark accuracy", () => {
    render(<ScorecardsTable projectId={7} cards={skilled} />);
    const hint = screen.getByTestId("sort-skill").closest("th")?.getAttribute("title") ?? "";
    expect(screen.getByTestId("sort-skill").textContent).toContain("Skill");
    for (const phrase of [
      "benchmarks",
      "agreement with peers on items they shared",
      "prior fitted to the project's annotators",
      "a wider bar means less evidence",
      "Unlike benchmark accuracy, which counts benchmark tasks only",
      '"calibrating"',
    ])
      expect(hint).toContain(phrase);
  });

  it("describes peer evidence and flags as they are computed now", () => {
    const withPeer = card(6, "fay", 0.7, { peer: { score: 0.61, evidence: 9.5, items: 14, kept_share: 0.2 } });
    render(<ScorecardsTable projectId={7} cards={[withPeer]} />);
    const peer = within(row("fay")).getByTestId("peer-score").getAttribute("title") ?? "";
    expect(peer).toContain("14 items shared with other annotators");
    expect(peer).toContain("Dawid-Skene");
    expect(peer).toContain("pooled with benchmarks in Skill");
    expect(peer).not.toContain("do not count");
    const status = screen.getByTestId("sort-status").closest("th")?.getAttribute("title") ?? "";
    expect(status).toContain("sequential test on the annotator's benchmarks and peer evidence");
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
