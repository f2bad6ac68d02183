// @vitest-environment jsdom
// The workspace around the canvas: the Konva canvas is replaced by a stub that draws a box on demand
// (the canvas itself is exercised by the end-to-end tests in a real browser).
import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetCsrf } from "../api";
import type { Finding, PayloadBox, Task } from "../api/types";
import type { BoxCanvasProps } from "../components/BoxCanvas";
import { mockFetch } from "../test/mockFetch";
import { BboxWorkspace } from "./BboxWorkspace";

vi.mock("../components/BoxCanvas", () => ({
  BoxCanvas: (props: BoxCanvasProps) => (
    <div data-testid="canvas-stage">
      <button type="button" data-testid="stub-draw" onClick={() => props.onDraw({ x: 300, y: 20, w: 200, h: 40 })}>
        draw
      </button>
    </div>
  ),
}));

const task: Task = {
  id: "t7",
  project_id: 1,
  kind: "bbox",
  labels: ["car", "person"],
  item: { id: "i3", image_url: null, width: 400, height: 300 },
  pre_annotation: { boxes: [{ x: 10, y: 10, w: 50, h: 40, label: "car" }] },
  status: "assigned",
  lease_expires_at: "2026-01-01T00:30:00Z",
  served_at: "2026-01-01T00:00:00Z",
};

const lintBodies = () => api.callsTo("POST /api/v1/tasks/t7/lint/").map((c) => (c.body as { payload: { boxes: PayloadBox[] } }).payload.boxes);
let api: ReturnType<typeof mockFetch>;
let findings: Finding[] = [];

beforeEach(() => {
  resetCsrf();
  findings = [];
  api = mockFetch({
    "GET /api/v1/auth/csrf/": { status: 204 },
    "POST /api/v1/tasks/t7/lint/": () => ({ status: 200, body: { findings } }),
    "POST /api/v1/tasks/t7/submit/": { status: 201, body: { task_id: "t7", findings: [] } },
  });
});
afterEach(() => vi.unstubAllGlobals());

const rows = () => screen.getAllByTestId("box-row");

describe("BboxWorkspace", () => {
  it("draws, relabels by hotkey, deletes, undoes and redoes; lints each draft (debounced)", async () => {
    render(<BboxWorkspace task={task} onDone={vi.fn()} />);
    await waitFor(() => expect(lintBodies()).toHaveLength(1));
    expect(lintBodies()[0]).toEqual([{ x: 10, y: 10, w: 50, h: 40, label: "car" }]);

    fireEvent.click(screen.getByTestId("stub-draw"));
    // Drawn with the active label, clamped into the 400 px wide image, and selected.
    expect(rows()[1].dataset).toMatchObject({ index: "2", label: "car", selected: "true", x: "300", w: "100" });
    fireEvent.keyDown(window, { key: "2" });
    expect(rows()[1].dataset.label).toBe("person");
    expect(screen.getByTestId("active-label").textContent).toBe("person");
    await waitFor(() => expect(lintBodies().at(-1)).toHaveLength(2));
    expect(lintBodies().at(-1)?.[1]).toEqual({ x: 300, y: 20, w: 100, h: 40, label: "person" });

    fireEvent.keyDown(window, { key: "Delete" });
    expect(rows()).toHaveLength(1);
    fireEvent.keyDown(window, { key: "z", ctrlKey: true });
    expect(rows()).toHaveLength(2);
    fireEvent.keyDown(window, { key: "z", ctrlKey: true });
    expect(rows()[1].dataset.label).toBe("car");
    fireEvent.keyDown(window, { key: "y", ctrlKey: true });
    expect(rows()[1].dataset.label).toBe("person");
  });

  it("highlights the boxes named by findings and blocks submit on errors", async () => {
    findings = [{ code: "box_out_of_bounds", severity: "error", message: "Box 1 is outside.", boxes: [0] }];
    render(<BboxWorkspace task={task} onDone={vi.fn()} />);
    const item = await screen.findByTestId("finding-item");
    expect(item.dataset.code).toBe("box_out_of_bounds");
    expect(rows()[0].dataset.severity).toBe("error");
    expect(screen.getByTestId("submit-button")).toHaveProperty("disabled", true);
    expect(screen.getByTestId("submit-blocked-reason").textContent).toContain("Box 1 is outside.");
    // Choosing the finding selects its box.
    fireEvent.click(within(item).getByRole("button"));
    expect(rows()[0].dataset.selected).toBe("true");
  });

  it("Enter submits the boxes and the time spent", async () => {
    const onDone = vi.fn();
    render(<BboxWorkspace task={task} onDone={onDone} />);
    await waitFor(() => expect(lintBodies()).toHaveLength(1));
    await act(async () => {
      fireEvent.keyDown(window, { key: "Enter" });
    });
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    const body = api.callsTo("POST /api/v1/tasks/t7/submit/")[0].body as { payload: unknown; time_spent_ms: number };
    expect(body.payload).toEqual({ boxes: [{ x: 10, y: 10, w: 50, h: 40, label: "car" }] });
    expect(body.time_spent_ms).toBeGreaterThanOrEqual(0);
  });

  it("a submit rejected with findings shows them", async () => {
    api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/t7/lint/": { status: 200, body: { findings: [] } },
      "POST /api/v1/tasks/t7/submit/": {
        status: 400,
        body: {
          detail: "Rejected by the linters.",
          findings: [{ code: "duplicate_box", severity: "error", message: "Boxes 1 and 2 are duplicates.", boxes: [0, 1] }],
        },
      },
    });
    const onDone = vi.fn();
    render(<BboxWorkspace task={task} onDone={onDone} />);
    fireEvent.click(screen.getByTestId("submit-button"));
    expect((await screen.findByTestId("submit-error")).textContent).toBe("Rejected by the linters.");
    expect(screen.getByTestId("finding-item").dataset.code).toBe("duplicate_box");
    expect(onDone).not.toHaveBeenCalled();
  });

  it("the shortcuts do nothing while the skip dialog is open, and Escape there keeps the selection", async () => {
    render(<BboxWorkspace task={task} onDone={vi.fn()} />);
    fireEvent.click(screen.getByTestId("stub-draw"));
    expect(rows()[1].dataset.selected).toBe("true");
    fireEvent.keyDown(window, { key: "s" });
    const dialog = screen.getByRole("dialog", { name: "Skip this task" });
    expect(document.activeElement).toBe(screen.getByTestId("skip-reason"));
    for (const key of ["Delete", "2", "n", "]", "ArrowLeft", "+"]) fireEvent.keyDown(window, { key });
    fireEvent.keyDown(window, { key: "z", ctrlKey: true });
    expect(rows().map((r) => r.dataset.label)).toEqual(["car", "car"]);
    expect(rows()[1].dataset).toMatchObject({ selected: "true", x: "300" });
    expect(screen.getByTestId("active-label").textContent).toBe("car");
    expect(screen.getByTestId("zoom-level").textContent).toBe("100%");

    fireEvent.keyDown(within(dialog).getByTestId("skip-reason"), { key: "Escape" });
    expect(screen.queryByTestId("skip-dialog")).toBeNull();
    expect(rows()[1].dataset.selected).toBe("true");
    fireEvent.keyDown(window, { key: "Delete" });
    expect(rows()).toHaveLength(1);
  });
});

