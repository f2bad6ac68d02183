// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetCsrf } from "../api";
import type { Task } from "../api/types";
import { mockFetch } from "../test/mockFetch";
import { ClassificationWorkspace } from "./ClassificationWorkspace";

const task: Task = {
  id: "t11",
  project_id: 1,
  kind: "classification",
  labels: ["cat", "dog", "bird"],
  item: { id: "i5", image_url: "/api/v1/images/tok5/", width: 64, height: 64 },
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
      "POST /api/v1/tasks/t11/lint/": { status: 200, body: { findings: [] } },
      "POST /api/v1/tasks/t11/submit/": { status: 201, body: { task_id: "t11", findings: [] } },
    });
    const onDone = vi.fn();
    render(<ClassificationWorkspace task={task} onDone={onDone} />);
    expect(screen.getByTestId("submit-blocked-reason").textContent).toBe("Choose a label first.");
    fireEvent.keyDown(window, { key: "2" });
    expect(screen.getAllByTestId("class-button")[1].getAttribute("aria-pressed")).toBe("true");
    await waitFor(() => expect(api.callsTo("POST /api/v1/tasks/t11/lint/")).toHaveLength(1));
    expect(api.callsTo("POST /api/v1/tasks/t11/lint/")[0].body).toMatchObject({ payload: { label: "dog" } });
    fireEvent.keyDown(window, { key: "Enter" });
    await waitFor(() => expect(onDone).toHaveBeenCalled());
    const [submit] = api.callsTo("POST /api/v1/tasks/t11/submit/");
    expect((submit.body as { payload: unknown }).payload).toEqual({ label: "dog" });
    expect(typeof (submit.body as { time_spent_ms: unknown }).time_spent_ms).toBe("number");
  });

  it("an error finding blocks submit and shows why", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/t11/lint/": {
        status: 200,
        body: { findings: [{ code: "label_unknown", severity: "error", message: "Too fast to be real.", boxes: [] }] },
      },
    });
    render(<ClassificationWorkspace task={{ ...task, pre_annotation: { label: "cat" } }} onDone={vi.fn()} />);
    expect(await screen.findByTestId("finding-item")).toBeTruthy();
    expect(screen.getByTestId("submit-blocked-reason").textContent).toContain("Too fast to be real.");
    expect(screen.getByTestId("submit-button")).toHaveProperty("disabled", true);
    fireEvent.keyDown(window, { key: "Enter" });
    expect(api.callsTo("POST /api/v1/tasks/t11/submit/")).toHaveLength(0);
  });

  it("skips with a reason", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/t11/lint/": { status: 200, body: { findings: [] } },
      "POST /api/v1/tasks/t11/skip/": { status: 200, body: { task_id: "t11", status: "skipped" } },
    });
    const onDone = vi.fn();
    render(<ClassificationWorkspace task={task} onDone={onDone} />);
    fireEvent.click(screen.getByTestId("skip-button"));
    expect(screen.getByTestId("skip-confirm")).toHaveProperty("disabled", true);
    fireEvent.change(screen.getByTestId("skip-reason"), { target: { value: "blurry" } });
    fireEvent.click(screen.getByTestId("skip-confirm"));
    await waitFor(() => expect(onDone).toHaveBeenCalledWith(null, "skipped"));
    expect(api.callsTo("POST /api/v1/tasks/t11/skip/")[0].body).toEqual({ reason: "blurry" });
  });

  it("the shortcuts do nothing while the skip dialog is open; Escape closes it and gives focus back to Skip", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/t11/lint/": { status: 200, body: { findings: [] } },
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
    expect(api.callsTo("POST /api/v1/tasks/t11/submit/")).toHaveLength(0);

    fireEvent.keyDown(screen.getByTestId("skip-reason"), { key: "Escape" });
    expect(screen.queryByTestId("skip-dialog")).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId("skip-button")));
    fireEvent.keyDown(window, { key: "2" });
    expect(pressed()).toEqual(["false", "true", "false"]);
  });

  it("labels 0-9 each answer to their own digit key, the 10th included", async () => {
    mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/t11/lint/": { status: 200, body: { findings: [] } },
    });
    const digits = [..."0123456789"];
    render(<ClassificationWorkspace task={{ ...task, labels: digits }} onDone={vi.fn()} />);
    const pressed = () =>
      screen.getAllByTestId("class-button").find((b) => b.getAttribute("aria-pressed") === "true")?.dataset.label;
    fireEvent.keyDown(window, { key: "3" });
    expect(pressed()).toBe("3");
    fireEvent.keyDown(window, { key: "0" });
    expect(pressed()).toBe("0");
    fireEvent.keyDown(window, { key: "9" });
    expect(pressed()).toBe("9");
    expect(screen.getAllByTestId("class-button").map((b) => b.dataset.hotkey)).toEqual(digits);
  });

  it("Enter submits after a mouse click on a label (the button gives the focus back)", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/t11/lint/": { status: 200, body: { findings: [] } },
      "POST /api/v1/tasks/t11/submit/": { status: 201, body: { task_id: "t11", findings: [] } },
    });
    const onDone = vi.fn();
    render(<ClassificationWorkspace task={task} onDone={onDone} />);
    const dog = screen.getAllByTestId("class-button")[1];
    dog.focus();
    fireEvent.click(dog, { detail: 1 });
    expect(document.activeElement).not.toBe(dog);
    await waitFor(() => expect(api.callsTo("POST /api/v1/tasks/t11/lint/")).toHaveLength(1));
    fireEvent.keyDown(document.activeElement ?? window, { key: "Enter" });
    await waitFor(() => expect(onDone).toHaveBeenCalledWith(expect.anything(), "submitted"));
  });

  it("a too-fast finding is not shown while working: it belongs to the submission", async () => {
    mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/t11/lint/": {
        status: 200,
        body: { findings: [{ code: "too_fast", severity: "warning", message: "Fast.", boxes: [] }] },
      },
    });
    render(<ClassificationWorkspace task={{ ...task, pre_annotation: { label: "cat" } }} onDone={vi.fn()} />);
    await waitFor(() => expect(screen.getByTestId("findings-panel").dataset.checking).toBe("false"));
    expect(screen.queryByTestId("finding-item")).toBeNull();
  });

  it("restores a draft and keeps saving; a refused draft says so and stays in this browser", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/t11/lint/": { status: 200, body: { findings: [] } },
      "PUT /api/v1/tasks/t11/draft/": {
        status: 409,
        body: { detail: "Your time on this task ran out (the lease expired).", errors: { task: ["lease expired"] } },
      },
    });
    const draft = { payload: { label: "bird" }, elapsed_ms: 42_000, updated_at: "2026-01-01T00:01:00Z" };
    render(<ClassificationWorkspace task={task} draft={draft} onDone={vi.fn()} />);
    const pressed = () =>
      screen.getAllByTestId("class-button").find((b) => b.getAttribute("aria-pressed") === "true")?.dataset.label;
    expect(pressed()).toBe("bird");
    expect(screen.getByTestId("workspace").dataset.elapsedStart).toBe("42000");
    fireEvent.keyDown(window, { key: "1" });
    await waitFor(() => expect(api.callsTo("PUT /api/v1/tasks/t11/draft/")).toHaveLength(1), { timeout: 3000 });
    const body = api.callsTo("PUT /api/v1/tasks/t11/draft/")[0].body as { payload: unknown; elapsed_ms: number };
    expect(body.payload).toEqual({ label: "cat" });
    expect(body.elapsed_ms).toBeGreaterThanOrEqual(42_000);
    await waitFor(() => expect(screen.getByTestId("draft-status").dataset.state).toBe("refused"));
    expect(screen.getByTestId("draft-status").textContent).toContain("lease expired");
    expect(window.localStorage.getItem("aqc:draft:t11")).toBe(JSON.stringify({ label: "cat" }));
  });
});
