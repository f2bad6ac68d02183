// @vitest-environment jsdom
// Per-object review in the review workspace: a verdict per box from its row's buttons or by selecting it (1-9 or
// its number) and pressing A / R, the whole decision following from the boxes (D) or given with A / R, and a
// rework showing which boxes were rejected.
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { ReviewDetail, ReworkEntry } from "../api/review";
import type { BoxCanvasProps } from "../components/BoxCanvas";
import { mockFetch } from "../test/mockFetch";
import { annotatorMe, memberOf, renderAs, resetApiAroundEachTest } from "../test/session";
import { ReviewPanel } from "./ReviewWorkspacePage";
import { ReworkPage } from "./ReworkPage";

vi.mock("../components/BoxCanvas", () => ({
  BoxCanvas: (props: BoxCanvasProps) => (
    <div
      data-testid="canvas-stage"
      data-pins={(props.pins ?? []).map((p) => `${p.number}:${p.kind}:${p.box === null ? "" : p.box + 1}`).join(" ")}
    />
  ),
}));

const P = "/api/v1/projects/2";
const reviewerMe = memberOf("reviewer", { id: 9, username: "reviewer" });
const item = { id: 5, image_url: null, width: 640, height: 480 };
const CAR = { x: 10, y: 10, w: 50, h: 40, label: "car" };
const PERSON = { x: 200, y: 100, w: 30, h: 80, label: "person" };
const BIKE = { x: 400, y: 200, w: 60, h: 40, label: "bike" };

function detail(overrides: Partial<ReviewDetail> = {}): ReviewDetail {
  return {
    id: 11,
    item,
    round: 1,
    suspicion: 0.8,
    agreement: 0.4,
    model_confidence: 0.6,
    entered_at: "2026-12-07T10:00:00Z",
    status: "pending",
    project_id: 2,
    kind: "bbox",
    labels: ["car", "person", "bike"],
    payload: { boxes: [CAR, PERSON, BIKE] },
    pre_annotation: null,
    other_answers: [],
    history: [],
    ...overrides,
  };
}

function routes() {
  return mockFetch({
    "GET /api/v1/auth/csrf/": { status: 204 },
    [`POST ${P}/reviews/11/open/`]: { status: 200, body: detail() },
    [`POST ${P}/reviews/11/decide/`]: { status: 200, body: detail({ status: "rework" }) },
    [`POST ${P}/reviews/11/accept/`]: { status: 200, body: detail({ status: "accepted" }) },
    [`POST ${P}/reviews/11/reject/`]: { status: 200, body: detail({ status: "rework" }) },
  });
}

const rows = () => screen.getAllByTestId("review-box-row").map((r) => r.dataset.verdict);

resetApiAroundEachTest();

describe("ReviewPanel per-box verdicts", () => {
  it("judges boxes with their buttons, marks them on the image and sends the verdicts (D)", async () => {
    const api = routes();
    const onDone = vi.fn();
    renderAs(reviewerMe, <ReviewPanel projectId={2} reviewId={11} onDone={onDone} />);
    await screen.findByTestId("review-panel");
    fireEvent.click(screen.getByRole("button", { name: "Accept box 1" }));
    fireEvent.click(screen.getByRole("button", { name: "Reject box 2" }));
    expect(rows()).toEqual(["accepted", "rejected", ""]);
    expect(screen.getByRole("button", { name: "Reject box 2" }).getAttribute("aria-pressed")).toBe("true");
    expect(screen.getByRole("group", { name: "Verdict on box 2" })).toBeTruthy();
    expect(screen.getAllByTestId("verdict-mark").map((m) => `${m.dataset.box}:${m.dataset.verdict}`)).toEqual([
      "0:accepted",
      "1:rejected",
    ]);
    expect(screen.getByTestId("verdict-summary").textContent).toContain("2 of 3 boxes judged");
    // A comment written on a judged box travels with its verdict; one on an unjudged box stays a pinned comment.
    fireEvent.change(screen.getAllByTestId("box-comment")[1], { target: { value: "a bike" } });
    fireEvent.change(screen.getAllByTestId("box-comment")[2], { target: { value: "check this" } });
    fireEvent.keyDown(window, { key: "d" });
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(api.callsTo(`POST ${P}/reviews/11/decide/`)[0].body).toEqual({
      round: 1,
      objects: [
        { box: 0, verdict: "accepted", comment: "" },
        { box: 1, verdict: "rejected", comment: "a bike" },
      ],
      comments: [{ box: 2, region: null, text: "check this" }],
    });
    expect(api.callsTo(`POST ${P}/reviews/11/reject/`)).toHaveLength(0);
  });

  it("selects a box (1-9) and judges it with A / R, the selection moving on; with none selected A / R are the whole", async () => {
    const api = routes();
    const onDone = vi.fn();
    renderAs(reviewerMe, <ReviewPanel projectId={2} reviewId={11} onDone={onDone} />);
    await screen.findByTestId("review-panel");
    fireEvent.keyDown(window, { key: "1" });
    expect(screen.getByRole("button", { name: "Select box 1 (then A or R)" }).getAttribute("aria-pressed")).toBe(
      "true",
    );
    fireEvent.keyDown(window, { key: "a" }); // box 1 accepted, box 2 selected
    fireEvent.keyDown(window, { key: "r" }); // box 2 rejected, box 3 selected
    fireEvent.keyDown(window, { key: "Escape" }); // nothing selected: A / R judge the whole
    expect(rows()).toEqual(["accepted", "rejected", ""]);
    expect(api.callsTo(`POST ${P}/reviews/11/decide/`)).toHaveLength(0);
    // Accepting the whole with a rejected box is refused before any request.
    fireEvent.keyDown(window, { key: "a" });
    expect(screen.getByTestId("review-message").textContent).toContain("Box 2 is rejected");
    expect(api.callsTo(`POST ${P}/reviews/11/decide/`)).toHaveLength(0);
    expect(api.callsTo(`POST ${P}/reviews/11/accept/`)).toHaveLength(0);
    // Rejecting the whole needs no comment: the rejected box says what to fix.
    fireEvent.keyDown(window, { key: "r" });
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(api.callsTo(`POST ${P}/reviews/11/decide/`)[0].body).toEqual({
      round: 1,
      objects: [
        { box: 0, verdict: "accepted", comment: "" },
        { box: 1, verdict: "rejected", comment: "" },
      ],
      comments: [],
      decision: "reject",
    });
  });

  it("clicking a verdict again clears it, and D with some boxes unjudged and none rejected asks for the rest", async () => {
    const api = routes();
    renderAs(reviewerMe, <ReviewPanel projectId={2} reviewId={11} onDone={vi.fn()} />);
    await screen.findByTestId("review-panel");
    fireEvent.click(screen.getByRole("button", { name: "Reject box 3" }));
    fireEvent.click(screen.getByRole("button", { name: "Reject box 3" }));
    expect(rows()).toEqual(["", "", ""]);
    expect(screen.queryByTestId("review-decide")).toBeNull();
    fireEvent.click(screen.getByRole("button", { name: "Accept box 3" }));
    fireEvent.click(screen.getByTestId("review-decide"));
    expect(screen.getByTestId("review-message").textContent).toContain("Give every box a verdict");
    // A fix does not go with verdicts.
    fireEvent.keyDown(window, { key: "f" });
    expect(screen.getByTestId("review-message").textContent).toContain("clear the box verdicts");
    expect(api.callsTo(`POST ${P}/reviews/11/decide/`)).toHaveLength(0);
    expect(api.callsTo(`POST ${P}/reviews/11/fix/`)).toHaveLength(0);
  });

  it("shows each round's rejected boxes in the history", async () => {
    mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`POST ${P}/reviews/11/open/`]: {
        status: 200,
        body: detail({
          round: 2,
          history: [
            {
              round: 1,
              action: "reject",
              by: "reviewer",
              comments: [],
              objects: [
                { box: 0, verdict: "accepted", comment: "" },
                { box: 2, verdict: "rejected", comment: "not a bike" },
              ],
              diff: null,
              objects_changed: 0,
              seconds_waiting: 1,
              seconds_working: null,
              at: "2026-12-07T10:00:00Z",
            },
          ],
        }),
      },
    });
    renderAs(reviewerMe, <ReviewPanel projectId={2} reviewId={11} onDone={vi.fn()} />);
    expect((await screen.findByTestId("history-verdicts")).textContent).toContain("2 boxes judged, rejected: box 3");
  });
});

describe("ReworkPage rejected boxes", () => {
  it("marks the boxes the reviewer rejected, numbered after the comments", async () => {
    const entry: ReworkEntry = {
      task: {
        id: "t42",
        project_id: 2,
        kind: "bbox",
        labels: ["car", "person", "bike"],
        item: { id: "i42", image_url: null, width: 640, height: 480 },
        pre_annotation: null,
        status: "submitted",
        served_at: "2026-12-07T09:00:00Z",
        lease_expires_at: "2026-12-07T09:30:00Z",
      },
      rework: {
        status: "rework",
        round: 1,
        payload: { boxes: [CAR, PERSON, BIKE] },
        comments: [{ box: null, region: [500, 300, 50, 50], text: "missed car" }],
        rejected_objects: [
          { box: 1, comment: "a bike" },
          { box: 2, comment: "" },
        ],
        rejected_at: "2026-12-07T10:00:00Z",
      },
    };
    mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`GET ${P}/`]: { status: 404, body: { detail: "no" } },
      [`GET ${P}/my-rework/`]: { status: 200, body: { count: 1, results: [entry] } },
      "POST /api/v1/tasks/t42/lint/": { status: 200, body: { findings: [] } },
    });
    renderAs(annotatorMe, <ReworkPage projectId={2} />);
    await screen.findByTestId("workspace");
    expect(screen.getByTestId("canvas-stage").dataset.pins).toBe("1:region: 2:rejected:2 3:rejected:3");
    const list = screen.getByRole("region", { name: "Rejected boxes" });
    expect(list.textContent).toContain("Box 2 rejected: a bike");
    expect(list.textContent).toContain("Box 3 rejected");
    expect([...list.querySelectorAll("li")].map((li) => li.getAttribute("value"))).toEqual(["2", "3"]);
  });
});
