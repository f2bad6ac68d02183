// @vitest-environment jsdom
// The manager screens and the projects list against responses captured from the real back end.
import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ReviewItem } from "../api/types";
import { fixtures } from "../test/fixtures";
import { mockFetch, type Route } from "../test/mockFetch";
import { annotatorMe, managerMe as manager, mlEngineerMe, renderAs, resetApiAroundEachTest } from "../test/session";
import { DashboardPage } from "./DashboardPage";
import { DrilldownPage } from "./DrilldownPage";
import { FindingsPage } from "./FindingsPage";
import { ProjectsPage } from "./ProjectsPage";
import { ReviewPage } from "./ReviewPage";

const P = "/api/v1/projects/2";

function mockManagerApi(extra: Record<string, Route> = {}) {
  return mockFetch({
    "GET /api/v1/auth/csrf/": { status: 204 },
    [`GET ${P}/`]: { status: 200, body: fixtures.projectBbox() },
    [`GET ${P}/members/`]: { status: 200, body: fixtures.members() },
    [`GET ${P}/progress/`]: { status: 200, body: fixtures.progressManager() },
    [`GET ${P}/queue/`]: { status: 200, body: fixtures.queue() },
    [`GET ${P}/agreement/`]: { status: 200, body: fixtures.agreementClassification() },
    [`GET ${P}/alerts/`]: { status: 200, body: fixtures.alerts() },
    ...extra,
  });
}

resetApiAroundEachTest();

describe("DashboardPage", () => {
  it("shows progress, alpha with its interval, per-label and per-annotator agreement", async () => {
    mockManagerApi();
    renderAs(manager, <DashboardPage projectId={2} />);
    expect((await screen.findByTestId("progress-items")).textContent).toBe("40");
    expect(screen.getByTestId("progress-remaining").textContent).toBe(String(fixtures.progressManager().remaining));
    expect((await screen.findByTestId("agreement-alpha")).textContent).toContain("0.278");
    expect(screen.getByTestId("agreement-interval").textContent).toBe("95% interval 0.042 to 0.486");
    const rows = screen.getAllByTestId("agreement-label-row");
    expect(rows.map((r) => r.dataset.label)).toEqual(["0", "1", "2"]);
    expect(rows[0].querySelector("svg")?.getAttribute("aria-label")).toBe("0 alpha: 0.27 (95% interval -0.09 to 0.48)");
    const annotators = await screen.findAllByTestId("agreement-annotator-row");
    expect(annotators.map((r) => r.querySelector("th")?.textContent)).toEqual(["annotator1", "annotator2", "annotator3"]);
    expect(screen.getByTestId("queue-strategy").textContent).toBe("import_order");
  });

  it("lists open alerts with their message and acknowledges one", async () => {
    const alert = fixtures.alerts().results[0];
    const api = mockManagerApi({
      [`POST ${P}/alerts/${alert.id}/acknowledge/`]: {
        status: 200,
        body: { ...alert, acknowledged_by: "manager", acknowledged_at: "2026-11-25T09:00:00Z" },
      },
    });
    renderAs(manager, <DashboardPage projectId={2} />);
    const items = await screen.findAllByTestId("alert-item");
    expect(items).toHaveLength(2);
    expect(items[0].textContent).toContain(alert.message);
    fireEvent.click(within(items[0]).getByTestId("alert-acknowledge"));
    await waitFor(() => expect(items[0].textContent).toContain("Acknowledged by manager"));
    expect(api.callsTo(`POST ${P}/alerts/${alert.id}/acknowledge/`)).toHaveLength(1);
  });

  it("says 'No alerts.' when the server has no alerts endpoint (404), and explains a missing report", async () => {
    mockManagerApi({
      [`GET ${P}/alerts/`]: { status: 404, body: { detail: "Not found." } },
      [`GET ${P}/agreement/`]: {
        status: 200,
        body: { computed_at: null, report: null, trend: [], note: "No agreement report computed yet." },
      },
    });
    renderAs(manager, <DashboardPage projectId={2} />);
    expect((await screen.findByTestId("alerts-empty")).textContent).toBe("No alerts.");
    expect(screen.queryByText(/Not available/)).toBeNull();
    expect((await screen.findByTestId("agreement-note")).textContent).toBe("No agreement report computed yet.");
  });
});

describe("ProjectsPage", () => {
  it("shows an annotator their own counts only (the server sends nothing else)", async () => {
    mockFetch({
      "GET /api/v1/projects/": { status: 200, body: [{ ...fixtures.projectBbox(), role: "annotator", settings: undefined }] },
      [`GET ${P}/progress/`]: { status: 200, body: fixtures.progressAnnotator() },
    });
    renderAs(annotatorMe, <ProjectsPage />);
    const mine = await screen.findByTestId("my-progress");
    expect(mine.textContent).toBe("You: 21 submitted, 0 skipped");
    expect(screen.getByTestId("project-progress").textContent).not.toMatch(/undefined|NaN/);
    expect(screen.queryByRole("meter")).toBeNull();
  });
});

describe("ProjectsPage links by role", () => {
  it("offers a manager the dashboard, scorecards and data, and an ML engineer the dashboard and data", async () => {
    mockFetch({
      "GET /api/v1/projects/": {
        status: 200,
        body: [fixtures.projectBbox(), { ...fixtures.projectBbox(), id: 5, name: "Streets", role: "ml_engineer" }],
      },
      [`GET ${P}/progress/`]: { status: 200, body: fixtures.progressManager() },
      "GET /api/v1/projects/5/progress/": { status: 200, body: fixtures.progressManager() },
    });
    renderAs(manager, <ProjectsPage />);
    const cards = await screen.findAllByTestId("project-card");
    const links = (card: HTMLElement) => within(card).queryAllByRole("link").map((a) => a.dataset.testid);
    expect(links(cards[0])).toEqual(["open-dashboard", "open-scorecards", "open-reviews", "open-data"]);
    expect(links(cards[1])).toEqual(["open-dashboard", "open-data"]);
    expect(within(cards[1]).getByTestId("open-data").getAttribute("href")).toBe("/projects/5/data");
    expect(within(cards[1]).queryByTestId("start-labeling")).toBeNull();
  });
});

describe("DashboardPage for an ML engineer", () => {
  it("shows progress, queue and agreement, without the managers' alerts, names and recompute", async () => {
    const api = mockManagerApi({ [`GET ${P}/`]: { status: 200, body: { ...fixtures.projectBbox(), role: "ml_engineer" } } });
    renderAs(mlEngineerMe, <DashboardPage projectId={2} />);
    expect((await screen.findByTestId("progress-items")).textContent).toBe("40");
    expect((await screen.findByTestId("agreement-alpha")).textContent).toContain("0.278");
    const annotators = await screen.findAllByTestId("agreement-annotator-row");
    expect(annotators[0].querySelector("th")?.textContent).toBe(`user ${annotators[0].dataset.userId}`);
    expect(screen.getByTestId("queue-strategy").textContent).toBe("import_order");
    expect(screen.queryByTestId("agreement-compute")).toBeNull();
    expect(screen.queryByTestId("dashboard-alerts")).toBeNull();
    expect(screen.getAllByRole("link").map((a) => a.dataset.testid)).toContain("nav-data");
    expect(api.callsTo(`GET ${P}/members/`)).toHaveLength(0);
    expect(api.callsTo(`GET ${P}/alerts/`)).toHaveLength(0);
  });
});

describe("ReviewPage", () => {
  it("shows each item's answers and conflicts and resolves by choosing an annotation", async () => {
    const items = fixtures.reviewItems();
    const [first] = items;
    const chosen = first.annotations[1];
    const api = mockManagerApi({
      [`GET ${P}/agreement/items/`]: { status: 200, body: items },
      [`POST ${P}/agreement/items/${first.item.id}/resolve/`]: {
        status: 200,
        body: { item_id: first.item.id, payload: chosen.payload, method: "manual", gold: true },
      },
    });
    renderAs(manager, <ReviewPage projectId={2} />);
    const cards = await screen.findAllByTestId("review-item");
    expect(cards.map((c) => Number(c.dataset.itemId))).toEqual(items.map((i) => i.item.id));
    expect(cards[0].textContent).toContain(first.item.external_id);
    const answers = within(cards[0]).getAllByTestId("review-answer");
    expect(answers.map((a) => a.querySelector("th")?.textContent)).toEqual(["annotator1", "annotator2", "annotator3"]);
    const conflicts = within(cards[0]).getByTestId("review-conflicts").querySelectorAll("li");
    expect(conflicts.length).toBe(first.conflicts.length);
    expect(conflicts[0].textContent).toMatch(/^label mismatch: annotator\d: \S+ vs annotator\d: \S+$/);

    fireEvent.click(within(cards[0]).getByTestId("make-gold"));
    fireEvent.click(within(answers[1]).getByTestId("resolve-button"));
    await within(cards[0]).findByTestId("review-resolved");
    expect(api.callsTo(`POST ${P}/agreement/items/${first.item.id}/resolve/`)[0].body).toEqual({
      annotation_id: chosen.annotation_id,
      make_gold: true,
    });
    expect(cards[0].dataset.resolved).toBe("true");
    expect(cards[1].dataset.resolved).toBe("false");
  });

  it("marks items the server reports as resolved", async () => {
    const items = fixtures.reviewItems();
    items[1].resolved = true;
    mockManagerApi({ [`GET ${P}/agreement/items/`]: { status: 200, body: items } });
    renderAs(manager, <ReviewPage projectId={2} />);
    const cards = await screen.findAllByTestId("review-item");
    expect(cards[1].dataset.resolved).toBe("true");
    for (const button of within(cards[1]).getAllByTestId("resolve-button")) expect(button).toHaveProperty("disabled", true);
  });
});

describe("ReviewPage pages", () => {
  /** `n` review items shaped like the captured ones, lowest score first, with their own item and answer ids. */
  function manyItems(n: number): ReviewItem[] {
    const [template] = fixtures.reviewItems();
    return Array.from({ length: n }, (_, i) => {
      const id = 1000 + i;
      return {
        ...structuredClone(template),
        item: { ...template.item, id, external_id: `item-${i}` },
        score: -0.5 + i / 100,
        conflicts: template.conflicts.map((c) => ({ ...c, item: id })),
        annotations: template.annotations.map((a, j) => ({ ...a, annotation_id: id * 10 + j })),
      };
    });
  }
  const shownIds = () => screen.getAllByTestId("review-item").map((c) => Number(c.dataset.itemId));
  const ids = (items: ReviewItem[]) => items.map((i) => i.item.id);

  it("shows 20 items a page with the shared pager; resolving on page 2 keeps page 2", async () => {
    const items = manyItems(45);
    const target = items[22];
    const api = mockManagerApi({
      [`GET ${P}/agreement/items/`]: { status: 200, body: items },
      [`POST ${P}/agreement/items/${target.item.id}/resolve/`]: {
        status: 200,
        body: { item_id: target.item.id, payload: target.annotations[0].payload, method: "manual", gold: false },
      },
    });
    renderAs(manager, <ReviewPage projectId={2} />);
    await screen.findAllByTestId("review-item");
    expect(shownIds()).toEqual(ids(items.slice(0, 20)));
    expect(api.callsTo(`GET ${P}/agreement/items/`)[0].query.get("limit")).toBe("100");
    expect(screen.getByTestId("review-prev")).toHaveProperty("disabled", true);
    expect(screen.getByTestId("review-list").nextElementSibling?.textContent).toContain("1–20 of 45 · page 1 of 3");

    fireEvent.click(screen.getByTestId("review-next"));
    expect(shownIds()).toEqual(ids(items.slice(20, 40)));
    const card = () => screen.getAllByTestId("review-item").find((c) => c.dataset.itemId === String(target.item.id))!;
    fireEvent.click(within(card()).getAllByTestId("resolve-button")[0]);
    await within(card()).findByTestId("review-resolved");
    expect(shownIds()).toEqual(ids(items.slice(20, 40)));
    expect(card().dataset.resolved).toBe("true");
    expect(card().textContent).toContain("Chosen");
    expect(api.callsTo(`GET ${P}/agreement/items/`)).toHaveLength(1);

    fireEvent.click(screen.getByTestId("review-next"));
    expect(shownIds()).toEqual(ids(items.slice(40)));
    expect(screen.getByTestId("review-next")).toHaveProperty("disabled", true);
    fireEvent.click(screen.getByTestId("review-prev"));
    expect(card().dataset.resolved).toBe("true");
    expect(card().textContent).toContain("Chosen");

    // A new threshold starts again at page 1.
    fireEvent.change(screen.getByTestId("review-max-alpha"), { target: { value: "0.2" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(api.callsTo(`GET ${P}/agreement/items/`)).toHaveLength(2));
    expect(api.callsTo(`GET ${P}/agreement/items/`)[1].query.get("max_alpha")).toBe("0.2");
    await waitFor(() => expect(shownIds()).toEqual(ids(items.slice(0, 20))));
  });

  it("has no pager when one page holds the list, and says when the server's limit cut it", async () => {
    mockManagerApi({ [`GET ${P}/agreement/items/`]: { status: 200, body: fixtures.reviewItems() } });
    const { unmount } = renderAs(manager, <ReviewPage projectId={2} />);
    await screen.findAllByTestId("review-item");
    expect(screen.queryByTestId("review-next")).toBeNull();
    expect(screen.queryByTestId("review-truncated")).toBeNull();
    unmount();

    mockManagerApi({ [`GET ${P}/agreement/items/`]: { status: 200, body: manyItems(100) } });
    renderAs(manager, <ReviewPage projectId={2} />);
    await screen.findAllByTestId("review-item");
    expect(screen.getAllByTestId("review-item")).toHaveLength(20);
    expect(screen.getByTestId("review-truncated").textContent).toContain("The 100 lowest-scoring items");
  });
});

describe("FindingsPage", () => {
  it("lists findings with usernames, the rates per annotator, and filters by annotator id and page", async () => {
    const api = mockManagerApi({
      [`GET ${P}/findings/`]: { status: 200, body: fixtures.findingsPage() },
      [`GET ${P}/findings/rates/`]: { status: 200, body: fixtures.findingRates() },
    });
    renderAs(manager, <FindingsPage projectId={2} />);
    const rows = await screen.findAllByTestId("finding-row");
    expect(rows.map((r) => r.dataset.annotator)).toEqual(["annotator3", "annotator2"]);
    expect(screen.getByTestId("findings-count").textContent).toBe("16 findings");
    const rates = await screen.findAllByTestId("finding-rate-row");
    expect(rates.map((r) => r.querySelector("th")?.textContent)).toEqual(["annotator1", "annotator2", "annotator3"]);
    expect(rates[2].textContent).toContain("65.0%");

    await screen.findByRole("option", { name: "annotator3" });
    fireEvent.change(screen.getByTestId("findings-filter-annotator"), { target: { value: "5" } });
    await waitFor(() => expect(api.callsTo(`GET ${P}/findings/`).at(-1)?.query.get("annotator")).toBe("5"));
    fireEvent.click(await screen.findByTestId("findings-next"));
    await waitFor(() => expect(api.callsTo(`GET ${P}/findings/`).at(-1)?.query.get("page")).toBe("2"));
  });
});

describe("DrilldownPage", () => {
  it("draws gold, seeded and submitted boxes of each benchmark", async () => {
    const records = fixtures.benchmarks();
    mockManagerApi({ [`GET ${P}/annotators/5/benchmarks/`]: { status: 200, body: records } });
    renderAs(manager, <DrilldownPage projectId={2} userId={5} />);
    const cards = await screen.findAllByTestId("benchmark-card");
    expect(cards).toHaveLength(records.length);
    expect(await screen.findByText("Benchmarks of annotator3")).toBeTruthy();
    const kinds = within(cards[0]).getAllByTestId("overlay-box").map((b) => b.dataset.kind);
    const boxes = (p: unknown) => (p && typeof p === "object" && "boxes" in p ? (p.boxes as unknown[]).length : 0);
    expect(kinds.filter((k) => k === "gold")).toHaveLength(boxes(records[0].gold));
    expect(kinds.filter((k) => k === "seeded")).toHaveLength(boxes(records[0].seeded));
    expect(kinds.filter((k) => k === "submitted")).toHaveLength(boxes(records[0].submitted));
    expect(cards[0].dataset.fixed).toBe(String(records[0].fixed));
  });
});
