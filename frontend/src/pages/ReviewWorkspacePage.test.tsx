// @vitest-environment jsdom
// The review workspace and the suspects list (the rework: ReworkPage.test.tsx) against the shapes of annotation_qc/review/selectors.py.
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { ReviewDetail } from "../api/review";
import { mockFetch } from "../test/mockFetch";
import { memberOf, renderAs, resetApiAroundEachTest } from "../test/session";
import type { BoxCanvasProps } from "../components/BoxCanvas";
import { ReviewPanel, ReviewWorkspacePage } from "./ReviewWorkspacePage";

// Konva needs a real canvas: the stage is a stub whose button "draws" a box, as in BboxWorkspace.test.tsx.
vi.mock("../components/BoxCanvas", () => ({
  BoxCanvas: (props: BoxCanvasProps) => (
    <div data-testid="canvas-stage" data-highlighted={[...props.highlights.keys()].join(",")}>
      <button type="button" data-testid="stub-draw" onClick={() => props.onDraw({ x: 500, y: 300, w: 50, h: 50 })}>
        draw
      </button>
    </div>
  ),
}));

const P = "/api/v1/projects/2";
const reviewerMe = memberOf("reviewer", { id: 9, username: "reviewer" });
const item = { id: 5, image_url: null, width: 640, height: 480 };
const CAR = { x: 10, y: 10, w: 50, h: 40, label: "car" };
const PERSON = { x: 200, y: 100, w: 30, h: 80, label: "person" };

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
    payload: { boxes: [CAR, PERSON] },
    pre_annotation: { boxes: [CAR] },
    other_answers: [{ annotator: "ann2", payload: { boxes: [PERSON] } }],
    history: [],
    ...overrides,
  };
}

resetApiAroundEachTest();

describe("ReviewPanel", () => {
  it("toggles layers, pins comments on boxes and rejects with them (R)", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`POST ${P}/reviews/11/open/`]: { status: 200, body: detail() },
      [`POST ${P}/reviews/11/reject/`]: { status: 200, body: detail({ status: "rework" }) },
    });
    const onDone = vi.fn();
    renderAs(reviewerMe, <ReviewPanel projectId={2} reviewId={11} onDone={onDone} />);
    await screen.findByTestId("review-panel");
    // Pre-annotation and other answers start hidden; P and O show them.
    const kinds = () => screen.getAllByTestId("overlay-box").map((b) => b.dataset.kind);
    expect(kinds()).toEqual(["answer", "answer"]);
    fireEvent.keyDown(window, { key: "p" });
    fireEvent.keyDown(window, { key: "o" });
    await waitFor(() => expect(kinds()).toEqual(["answer", "answer", "pre", "others"]));
    // Rejecting without a comment is refused here, before any request.
    fireEvent.keyDown(window, { key: "r" });
    expect(screen.getByTestId("review-message").textContent).toContain("at least one comment");
    expect(api.callsTo(`POST ${P}/reviews/11/reject/`)).toHaveLength(0);
    fireEvent.change(screen.getAllByTestId("box-comment")[1], { target: { value: "This is a bike" } });
    expect(screen.getAllByTestId("comment-pin").map((p) => p.dataset.box)).toEqual(["1"]);
    fireEvent.keyDown(window, { key: "r" });
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(api.callsTo(`POST ${P}/reviews/11/reject/`)[0].body).toEqual({
      round: 1,
      comments: [{ box: 1, region: null, text: "This is a bike" }],
    });
  });

  it("opens the review (the reviewer's working time starts) and shows a closed one read-only", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`POST ${P}/reviews/11/open/`]: { status: 200, body: detail() },
      [`POST ${P}/reviews/12/open/`]: { status: 409, body: { detail: "no longer waiting" } },
      [`GET ${P}/reviews/12/`]: { status: 200, body: detail({ id: 12, status: "accepted" }) },
    });
    const { unmount } = renderAs(reviewerMe, <ReviewPanel projectId={2} reviewId={11} onDone={vi.fn()} />);
    await screen.findByTestId("review-panel");
    expect(api.callsTo(`POST ${P}/reviews/11/open/`)).toHaveLength(1);
    unmount();
    renderAs(reviewerMe, <ReviewPanel projectId={2} reviewId={12} onDone={vi.fn()} />);
    await screen.findByTestId("review-panel");
    expect(api.callsTo(`GET ${P}/reviews/12/`)).toHaveLength(1);
  });

  it("saves a fix (relabelled and removed boxes) and reports a 409", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`POST ${P}/reviews/11/open/`]: { status: 200, body: detail() },
      [`POST ${P}/reviews/11/fix/`]: {
        status: 409,
        body: { detail: "This review is no longer waiting for a reviewer." },
      },
    });
    const onDone = vi.fn();
    renderAs(reviewerMe, <ReviewPanel projectId={2} reviewId={11} onDone={onDone} />);
    await screen.findByTestId("review-panel");
    fireEvent.change(screen.getByLabelText("Label of box 2"), { target: { value: "bike" } });
    fireEvent.click(screen.getByLabelText("Remove box 1"));
    fireEvent.click(screen.getByTestId("review-fix"));
    await waitFor(() => expect(screen.getByTestId("review-message").textContent).toContain("Another reviewer"));
    expect(api.callsTo(`POST ${P}/reviews/11/fix/`)[0].body).toEqual({
      round: 1,
      comments: [],
      payload: { boxes: [{ ...PERSON, label: "bike" }] },
    });
    expect(onDone).toHaveBeenCalled();
  });

  it("accepts with A, and typing in a comment does not", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`POST ${P}/reviews/11/open/`]: { status: 200, body: detail() },
      [`POST ${P}/reviews/11/accept/`]: { status: 200, body: detail({ status: "accepted" }) },
    });
    renderAs(reviewerMe, <ReviewPanel projectId={2} reviewId={11} onDone={() => undefined} />);
    await screen.findByTestId("review-panel");
    fireEvent.keyDown(screen.getByTestId("whole-comment"), { key: "a" });
    expect(api.callsTo(`POST ${P}/reviews/11/accept/`)).toHaveLength(0);
    fireEvent.keyDown(window, { key: "a" });
    await waitFor(() => expect(api.callsTo(`POST ${P}/reviews/11/accept/`)).toHaveLength(1));
  });
});

describe("ReviewPanel on a classification project", () => {
  const classDetail = () =>
    detail({
      kind: "classification",
      labels: ["cat", "dog", "bird"],
      payload: { label: "dog" },
      pre_annotation: { label: "cat" },
      other_answers: [{ annotator: "ann2", payload: { label: "bird" } }],
    });

  it("lists only the keys of a class review, shows a hidden layer's class only once shown, and fixes the class (F)", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`POST ${P}/reviews/11/open/`]: { status: 200, body: classDetail() },
      [`POST ${P}/reviews/11/fix/`]: { status: 200, body: detail({ status: "fixed" }) },
    });
    const onDone = vi.fn();
    renderAs(reviewerMe, <ReviewPanel projectId={2} reviewId={11} onDone={onDone} />);
    await screen.findByTestId("review-panel");
    const help = screen.getByTestId("review-hotkeys").textContent ?? "";
    expect(help).not.toMatch(/1-9|Esc|D:|box/);
    expect(help).toContain("F: Save the fix (the class chosen)");
    const classes = () => screen.queryAllByTestId("legend-class").map((c) => c.textContent?.trim());
    expect(classes()).toEqual(["dog"]);
    fireEvent.keyDown(window, { key: "p" });
    fireEvent.keyDown(window, { key: "o" });
    await waitFor(() => expect(classes()).toEqual(["dog", "cat", "bird"]));
    // D and Esc are box keys: nothing happens (no message about boxes).
    fireEvent.keyDown(window, { key: "d" });
    fireEvent.keyDown(window, { key: "Escape" });
    expect(screen.queryByTestId("review-message")).toBeNull();
    fireEvent.change(screen.getByTestId("fix-class"), { target: { value: "cat" } });
    fireEvent.keyDown(window, { key: "f" });
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    expect(api.callsTo(`POST ${P}/reviews/11/fix/`)[0].body).toEqual({ round: 1, comments: [], payload: { label: "cat" } });
  });
});

describe("ReviewWorkspacePage from the keyboard", () => {
  const row = (id: number, itemId: number) => ({
    id, item: { id: itemId }, round: 1, suspicion: 0.5, agreement: null, model_confidence: null,
    entered_at: "2026-12-07T10:00:00Z",
  });

  it("marks the review being worked in the queue and, after an action, focuses the next one, then the heading", async () => {
    const { fixtures } = await import("../test/fixtures");
    let waiting = [row(11, 5), row(12, 6)];
    mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`GET ${P}/`]: { status: 200, body: fixtures.projectBbox() },
      [`GET ${P}/review-queue/`]: () => ({ status: 200, body: { order: "suspicion", count: waiting.length, results: waiting } }),
      [`POST ${P}/reviews/11/open/`]: { status: 200, body: detail() },
      [`POST ${P}/reviews/12/open/`]: { status: 200, body: detail({ id: 12, item: { ...item, id: 6 } }) },
      [`POST ${P}/reviews/11/accept/`]: () => {
        waiting = [row(12, 6)];
        return { status: 200, body: detail({ status: "accepted" }) };
      },
      [`POST ${P}/reviews/12/accept/`]: () => {
        waiting = [];
        return { status: 200, body: detail({ id: 12, status: "accepted" }) };
      },
    });
    renderAs(reviewerMe, <ReviewWorkspacePage projectId={2} />);
    await screen.findByTestId("review-panel");
    const rows = await screen.findAllByTestId("review-queue-row");
    expect(rows.map((r) => r.getAttribute("aria-current"))).toEqual(["true", null]);
    // Opening the page leaves the focus where it is; an action moves it to the next review.
    expect(document.activeElement).toBe(document.body);
    fireEvent.keyDown(window, { key: "a" });
    await waitFor(() => expect(document.activeElement?.textContent).toBe("Item 6"));
    expect(screen.getByTestId("review-panel").contains(document.activeElement)).toBe(true);
    await waitFor(() =>
      expect(screen.getAllByTestId("review-queue-row").map((r) => r.getAttribute("aria-current"))).toEqual(["true"]),
    );
    // The last one done: the focus goes to the page's heading, not to the window.
    fireEvent.keyDown(window, { key: "a" });
    await screen.findByText("Nothing waiting for review.");
    await waitFor(() => expect(document.activeElement?.tagName).toBe("H1"));
  });
});

describe("ReviewPanel box editor", () => {
  it("opens the BoxCanvas editor and refuses an unchanged fix", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`POST ${P}/reviews/11/open/`]: { status: 200, body: detail() },
    });
    renderAs(reviewerMe, <ReviewPanel projectId={2} reviewId={11} onDone={() => undefined} />);
    await screen.findByTestId("review-panel");
    fireEvent.click(screen.getByTestId("toggle-box-editor"));
    expect(await screen.findByTestId("box-editor")).toBeTruthy();
    fireEvent.click(screen.getByTestId("review-fix"));
    expect(screen.getByTestId("review-message").textContent).toContain("Nothing to fix");
    expect(api.callsTo(`POST ${P}/reviews/11/fix/`)).toHaveLength(0);
  });

  it("sends a box drawn in the editor as the fix", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`POST ${P}/reviews/11/open/`]: { status: 200, body: detail() },
      [`POST ${P}/reviews/11/fix/`]: { status: 200, body: detail({ status: "fixed" }) },
    });
    const onDone = vi.fn();
    renderAs(reviewerMe, <ReviewPanel projectId={2} reviewId={11} onDone={onDone} />);
    await screen.findByTestId("review-panel");
    fireEvent.click(screen.getByTestId("toggle-box-editor"));
    fireEvent.click(await screen.findByTestId("stub-draw"));
    fireEvent.click(screen.getByTestId("review-fix"));
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    const body = api.callsTo(`POST ${P}/reviews/11/fix/`)[0].body as { payload: { boxes: { label: string }[] } };
    expect(body.payload.boxes).toHaveLength(3);
  });
});

describe("SuspectsPage", () => {
  it("lists the suspects with their reasons, says why the last run failed, and starts a detection", async () => {
    const { SuspectsPage } = await import("./SuspectsPage");
    const { fixtures } = await import("../test/fixtures");
    const { managerMe } = await import("../test/session");
    const run = {
      id: 3, job_id: 8, status: "succeeded", source: "committee", model_version: "", items: 180, suspects: 1,
      message: "", finished_at: "2026-12-07T10:00:00Z",
    };
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`GET ${P}/`]: { status: 200, body: fixtures.projectBbox() },
      [`GET ${P}/label-errors/`]: {
        status: 200,
        body: {
          run,
          latest_run: { ...run, id: 4, status: "failed", message: "only 3 labelled items" },
          count: 1,
          results: [
            {
              rank: 1, item_id: 5, external_id: "img-5", score: 0.93, kind: "classification", given_label: "cat",
              suggested_label: "dog", model_confidence: 0.97, reason: "labelled cat, model 0.97 dog",
              annotation_id: 7, annotator: "annotator1",
            },
          ],
        },
      },
      [`POST ${P}/label-errors/`]: { status: 202, body: { job_id: 9, run_id: 5 } },
    });
    renderAs(managerMe, <SuspectsPage projectId={2} />);
    const rows = await screen.findAllByTestId("suspect-row");
    expect(rows[0].textContent).toContain("labelled cat, model 0.97 dog");
    expect(screen.getByTestId("suspects-failed").textContent).toContain("only 3 labelled items");
    expect(screen.getByTestId("suspects-csv").getAttribute("href")).toBe(`${P}/label-errors/?format=csv`);
    fireEvent.click(screen.getByTestId("detect-suspects"));
    await waitFor(() => expect(api.callsTo(`POST ${P}/label-errors/`)).toHaveLength(1));
  });
});
