// @vitest-environment jsdom
// Rework in the labeling workspace: the rejected answer to start from, the reviewer's comments pinned over the
// image and listed beside it, live lint on every change (a blocking finding holds Submit back), and Submit
// sending the corrected answer back to review. The Konva canvas is a stub that shows the pins it was given.
import { fireEvent, screen, waitFor } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { ReworkEntry } from "../api/review";
import type { Finding, PayloadBox } from "../api/types";
import type { BoxCanvasProps } from "../components/BoxCanvas";
import { mockFetch } from "../test/mockFetch";
import { annotatorMe, renderAs, resetApiAroundEachTest } from "../test/session";
import { ReworkPage } from "./ReworkPage";

vi.mock("../components/BoxCanvas", () => ({
  BoxCanvas: (props: BoxCanvasProps) => (
    <div
      data-testid="canvas-stage"
      data-pins={(props.pins ?? []).map((p) => `${p.number}:${p.kind}:${p.x},${p.y},${p.w},${p.h}`).join(" ")}
    >
      <button type="button" data-testid="stub-draw" onClick={() => props.onDraw({ x: 500, y: 300, w: 50, h: 50 })}>
        draw
      </button>
    </div>
  ),
}));

const P = "/api/v1/projects/2";
const CAR = { x: 10, y: 10, w: 50, h: 40, label: "car" };
const PERSON = { x: 200, y: 100, w: 30, h: 80, label: "person" };
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
    payload: { boxes: [CAR, PERSON] },
    comments: [
      { box: 1, region: null, text: "not a person" },
      { box: null, region: [500, 300, 50, 50], text: "missed car" },
    ],
    rejected_at: "2026-12-07T10:00:00Z",
  },
};

resetApiAroundEachTest();

describe("ReworkPage", () => {
  it("reworks in the labeling workspace with the comments pinned and live lint", async () => {
    let waiting = [entry];
    const missing: Finding = { code: "too_few_boxes", severity: "error", message: "A car is missing.", boxes: [] };
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`GET ${P}/`]: { status: 404, body: { detail: "no" } },
      [`GET ${P}/my-rework/`]: () => ({ status: 200, body: { count: waiting.length, results: waiting } }),
      // The stand-in linter: an error until there are three boxes.
      "POST /api/v1/tasks/t42/lint/": (call) => {
        const boxes = (call.body as { payload: { boxes: PayloadBox[] } }).payload.boxes;
        return { status: 200, body: { findings: boxes.length < 3 ? [missing] : [] } };
      },
      "POST /api/v1/tasks/t42/rework/": () => {
        waiting = [];
        return { status: 200, body: { task_id: "t42", status: "pending", round: 2, findings: [] } };
      },
    });
    renderAs(annotatorMe, <ReworkPage projectId={2} />);
    const workspace = await screen.findByTestId("workspace");
    expect(workspace.dataset.taskId).toBe("t42");
    // The rejected answer is the starting point; the comments are pinned where the reviewer put them.
    expect(screen.getAllByTestId("box-row")).toHaveLength(2);
    expect(screen.getByTestId("canvas-stage").dataset.pins).toBe("1:box:200,100,30,80 2:region:500,300,50,50");
    expect(screen.getByTestId("rework-note").textContent).toContain("round 1");
    expect(screen.getByTestId("comment-list").textContent).toContain("missed car");
    expect(screen.queryByTestId("skip-button")).toBeNull(); // nothing to skip in a rework
    // Live lint on the starting answer: the blocking finding holds Submit back.
    await waitFor(() => expect(screen.getByTestId("submit-blocked-reason").textContent).toContain("A car is missing"));
    expect((screen.getByTestId("submit-button") as HTMLButtonElement).disabled).toBe(true);
    expect(api.callsTo("POST /api/v1/tasks/t42/lint/")[0].body).toEqual({ payload: { boxes: [CAR, PERSON] } });
    // Draw the missing car: linted again, Submit frees up and sends the corrected answer to review.
    fireEvent.click(screen.getByTestId("stub-draw"));
    await waitFor(() => expect(screen.queryByTestId("submit-blocked-reason")).toBeNull());
    fireEvent.click(screen.getByTestId("submit-button"));
    await screen.findByTestId("rework-empty");
    const sent = api.callsTo("POST /api/v1/tasks/t42/rework/")[0].body as { payload: { boxes: PayloadBox[] } };
    expect(sent.payload.boxes).toHaveLength(3);
    expect(sent.payload.boxes.slice(0, 2)).toEqual([CAR, PERSON]);
    expect(screen.getByTestId("rework-status").textContent).toBe("Sent back to review.");
    expect(api.callsTo("POST /api/v1/tasks/t42/submit/")).toHaveLength(0);
  });

  it("says so when the item was resolved elsewhere", async () => {
    let waiting = [entry];
    mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      [`GET ${P}/`]: { status: 404, body: { detail: "no" } },
      [`GET ${P}/my-rework/`]: () => ({ status: 200, body: { count: waiting.length, results: waiting } }),
      "POST /api/v1/tasks/t42/lint/": { status: 200, body: { findings: [] } },
      "POST /api/v1/tasks/t42/rework/": () => {
        waiting = [];
        return { status: 409, body: { detail: "This item was resolved elsewhere while it was with you for rework." } };
      },
    });
    renderAs(annotatorMe, <ReworkPage projectId={2} />);
    await screen.findByTestId("workspace");
    await waitFor(() => expect((screen.getByTestId("submit-button") as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(screen.getByTestId("submit-button"));
    await screen.findByTestId("rework-empty");
    expect(screen.getByTestId("rework-status").textContent).toContain("resolved elsewhere");
  });
});
