// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mockFetch } from "../test/mockFetch";
import { ApiError, apiRequest, resetCsrf } from "./http";
import { tasks } from "./client";

beforeEach(() => {
  resetCsrf();
  document.cookie = "csrftoken=tok-1";
});
afterEach(() => {
  vi.unstubAllGlobals();
});

describe("apiRequest", () => {
  it("fetches the CSRF cookie once and sends the current token on unsafe requests only", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "GET /api/v1/auth/me/": { status: 200, body: { id: 1 } },
      "POST /api/v1/tasks/3/skip/": { status: 200, body: { task_id: 3, status: "skipped" } },
    });
    await apiRequest("GET", "/auth/me/");
    expect(api.calls[0].headers["X-CSRFToken"]).toBeUndefined();
    await tasks.skip(3, "blurry");
    document.cookie = "csrftoken=tok-2"; // rotated, e.g. at login
    await tasks.skip(3, "blurry");
    expect(api.callsTo("GET /api/v1/auth/csrf/")).toHaveLength(1);
    const skips = api.callsTo("POST /api/v1/tasks/3/skip/");
    expect(skips.map((c) => c.headers["X-CSRFToken"])).toEqual(["tok-1", "tok-2"]);
    expect(skips[0].body).toEqual({ reason: "blurry" });
    expect(api.fn.mock.calls.every(([, init]) => init?.credentials === "same-origin")).toBe(true);
  });

  it("returns null on 204: next-task with an empty queue", async () => {
    mockFetch({ "GET /api/v1/auth/csrf/": { status: 204 }, "POST /api/v1/projects/2/next-task/": { status: 204 } });
    expect(await tasks.next(2)).toBeNull();
  });

  it("throws ApiError with the detail and field errors", async () => {
    mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/5/submit/": {
        status: 400,
        body: { detail: "Invalid payload.", errors: { "payload.boxes[2].w": ["must be positive"] } },
      },
    });
    const err = await tasks.submit(5, { boxes: [] }, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toBe("Invalid payload.");
    expect((err as ApiError).fieldErrors("payload.boxes[2].w")).toEqual(["must be positive"]);
  });

  it("sends time_spent_ms as a whole number", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/5/submit/": { status: 201, body: { annotation_id: 1, task_id: 5, findings: [] } },
    });
    await tasks.submit(5, { label: "cat" }, 1234.7);
    expect(api.callsTo("POST /api/v1/tasks/5/submit/")[0].body).toEqual({
      payload: { label: "cat" },
      time_spent_ms: 1235,
    });
  });
});
