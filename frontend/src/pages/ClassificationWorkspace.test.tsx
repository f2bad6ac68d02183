// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetCsrf } from "../api";
import type { Task } from "../api/types";
import { mockFetch } from "../test/mockFetch";
import { ClassificationWorkspace } from "./ClassificationWorkspace";

const task: Task = {
  id: 11,
  project_id: 1,
  kind: "classification",
  labels: ["cat", "dog", "bird"],
  item: { id: 5, image_url: "/api/v1/items/5/image/", width: 64, height: 64 },
  pre_annotation: null,
  status: "assigned",
  lease_expires_at: "2026-01-01T00:30:00Z",
  served_at: "2026-01-01T00:00:00Z",
};

beforeEach(() => resetCsrf());
afterEach(() => vi.unstubAllGlobals());

describe("ClassificationWorkspace", () => {
  it("hotkey picks a label, the draft is linted, Enter submits with the time spent", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/11/lint/": { status: 200, body: { findings: [] } },
      "POST /api/v1/tasks/11/submit/": { status: 201, body: { annotation_id: 3, task_id: 11, findings: [] } },
    });
    const onDone = vi.fn();
    render(<ClassificationWorkspace task={task} onDone={onDone} />);
    expect(screen.getByTestId("submit-blocked-reason").textContent).toBe("Choose a label first.");
    fireEvent.keyDown(window, { key: "2" });
    expect(screen.getAllByTestId("class-button")[1].getAttribute("aria-pressed")).toBe("true");
    await waitFor(() => expect(api.callsTo("POST /api/v1/tasks/11/lint/")).toHaveLength(1));
    expect(api.callsTo("POST /api/v1/tasks/11/lint/")[0].body).toMatchObject({ payload: { label: "dog" } });
    fireEvent.keyDown(window, { key: "Enter" });
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    const [submit] = api.callsTo("POST /api/v1/tasks/11/submit/");
    expect((submit.body as { payload: unknown }).payload).toEqual({ label: "dog" });
    expect(typeof (submit.body as { time_spent_ms: unknown }).time_spent_ms).toBe("number");
  });

  it("an error finding blocks submit and shows why", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/11/lint/": {
        status: 200,
        body: { findings: [{ code: "too_fast", severity: "error", message: "Too fast to be real.", boxes: [] }] },
      },
    });
    render(<ClassificationWorkspace task={{ ...task, pre_annotation: { label: "cat" } }} onDone={vi.fn()} />);
    expect(await screen.findByTestId("finding-item")).toBeTruthy();
    expect(screen.getByTestId("submit-blocked-reason").textContent).toContain("Too fast to be real.");
    expect(screen.getByTestId("submit-button")).toHaveProperty("disabled", true);
    fireEvent.keyDown(window, { key: "Enter" });
    expect(api.callsTo("POST /api/v1/tasks/11/submit/")).toHaveLength(0);
  });

  it("skips with a reason", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/11/lint/": { status: 200, body: { findings: [] } },
      "POST /api/v1/tasks/11/skip/": { status: 200, body: { task_id: 11, status: "skipped" } },
    });
    const onDone = vi.fn();
    render(<ClassificationWorkspace task={task} onDone={onDone} />);
    fireEvent.click(screen.getByTestId("skip-button"));
    expect(screen.getByTestId("skip-confirm")).toHaveProperty("disabled", true);
    fireEvent.change(screen.getByTestId("skip-reason"), { target: { value: "blurry" } });
    fireEvent.click(screen.getByTestId("skip-confirm"));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith(null));
    expect(api.callsTo("POST /api/v1/tasks/11/skip/")[0].body).toEqual({ reason: "blurry" });
  });

  it("the shortcuts do nothing while the skip dialog is open; Escape closes it and gives focus back to Skip", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/11/lint/": { status: 200, body: { findings: [] } },
    });
    render(<ClassificationWorkspace task={{ ...task, pre_annotation: { label: "cat" } }} onDone={vi.fn()} />);
    const pressed = () => screen.getAllByTestId("class-button").map((b) => b.getAttribute("aria-pressed"));
    const skip = screen.getByTestId("skip-button");
    skip.focus();
    fireEvent.keyDown(skip, { key: "s" });
    expect(document.activeElement).toBe(screen.getByTestId("skip-reason"));
    for (const key of ["2", "h", "Enter", "s"]) fireEvent.keyDown(window, { key });
    fireEvent.keyDown(screen.getByTestId("skip-reason"), { key: "3" });
    expect(pressed()).toEqual(["true", "false", "false"]);
    expect(screen.queryByTestId("help-panel")).toBeNull();
    expect(screen.getAllByTestId("skip-dialog")).toHaveLength(1);
    expect(api.callsTo("POST /api/v1/tasks/11/submit/")).toHaveLength(0);

    fireEvent.keyDown(screen.getByTestId("skip-reason"), { key: "Escape" });
    expect(screen.queryByTestId("skip-dialog")).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("skip-button")));
    fireEvent.keyDown(window, { key: "2" });
    expect(pressed()).toEqual(["false", "true", "false"]);
  });
});
