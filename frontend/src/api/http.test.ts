// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mockFetch } from "../test/mockFetch";
import { ApiError, apiRequest, resetCsrf } from "./http";
import { exchange, jobs, tasks } from "./client";

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
      "POST /api/v1/tasks/t3/skip/": { status: 200, body: { task_id: "t3", status: "skipped" } },
    });
    await apiRequest("GET", "/auth/me/");
    expect(api.calls[0].headers["X-CSRFToken"]).toBeUndefined();
    await tasks.skip("t3", "blurry");
    document.cookie = "csrftoken=tok-2"; // rotated, e.g. at login
    await tasks.skip("t3", "blurry");
    expect(api.callsTo("GET /api/v1/auth/csrf/")).toHaveLength(1);
    const skips = api.callsTo("POST /api/v1/tasks/t3/skip/");
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
      "POST /api/v1/tasks/t5/submit/": {
        status: 400,
        body: { detail: "Invalid payload.", errors: { "payload.boxes[2].w": ["must be positive"] } },
      },
    });
    const err = await tasks.submit("t5", { boxes: [] }, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(400);
    expect((err as ApiError).message).toBe("Invalid payload.");
    expect((err as ApiError).fieldErrors("payload.boxes[2].w")).toEqual(["must be positive"]);
  });

  it("sends time_spent_ms as a whole number", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/t5/submit/": { status: 201, body: { task_id: "t5", findings: [] } },
    });
    await tasks.submit("t5", { label: "cat" }, 1234.7);
    expect(api.callsTo("POST /api/v1/tasks/t5/submit/")[0].body).toEqual({
      payload: { label: "cat" },
      time_spent_ms: 1235,
    });
  });

  it("sends FormData as multipart: the CSRF token, no Content-Type of its own, the fields as given", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      // Files kept on the server's disk: no direct upload slots, so the import goes as multipart.
      "POST /api/v1/projects/2/uploads/": { status: 409, body: { detail: "Direct uploads need object storage." } },
      "POST /api/v1/projects/2/imports/": { status: 202, body: { import_id: 1, job_id: 2, status: "pending" } },
    });
    const file = new File(["{}"], "coco.json", { type: "application/json" });
    const images = [new File(["a"], "a.png", { type: "image/png" }), new File(["b"], "b.png", { type: "image/png" })];
    await exchange.startImport(2, { format: "coco", as: "predictions", modelVersion: "det-v2", file, images });
    const [call] = api.callsTo("POST /api/v1/projects/2/imports/");
    expect(call.headers["X-CSRFToken"]).toBe("tok-1");
    expect(call.headers["Content-Type"]).toBeUndefined();
    expect(call.body).toBeUndefined();
    const form = call.form!;
    expect([...form.keys()]).toEqual(["format", "as", "model_version", "file", "images", "images"]);
    expect(form.get("model_version")).toBe("det-v2");
    expect((form.get("file") as File).name).toBe("coco.json");
    expect(form.getAll("images").map((f) => (f as File).name)).toEqual(["a.png", "b.png"]);
  });

  it("still sends JSON bodies with their Content-Type", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/projects/2/exports/": { status: 202, body: { export_id: 1, job_id: 2, status: "pending" } },
    });
    await exchange.startExport(2, { format: "jsonl", include_raw: true });
    const [call] = api.callsTo("POST /api/v1/projects/2/exports/");
    expect(call.headers["Content-Type"]).toBe("application/json");
    expect(call.body).toEqual({ format: "jsonl", include_raw: true });
    expect(call.form).toBeNull();
  });
});

describe("jobs.wait", () => {
  it("polls until the job finishes and reports every poll", async () => {
    const statuses = ["pending", "running", "succeeded"];
    const api = mockFetch({
      "GET /api/v1/jobs/7/": () => {
        const status = statuses.shift()!;
        return { status: 200, body: { id: 7, kind: "export", status, progress: status === "succeeded" ? 1 : 0.5, message: "", result: {} } };
      },
    });
    const seen: string[] = [];
    const job = await jobs.wait(7, { intervalMs: 1, onProgress: (j) => seen.push(j.status) });
    expect(job.status).toBe("succeeded");
    expect(seen).toEqual(["pending", "running", "succeeded"]);
    expect(api.callsTo("GET /api/v1/jobs/7/")).toHaveLength(3);
  });

  it("stops polling when its signal is aborted", async () => {
    const api = mockFetch({
      "GET /api/v1/jobs/7/": { status: 200, body: { id: 7, kind: "import", status: "running", progress: 0.1, message: "", result: {} } },
    });
    const controller = new AbortController();
    const waiting = jobs.wait(7, { intervalMs: 5, signal: controller.signal, onProgress: () => controller.abort(new Error("gone")) });
    await expect(waiting).rejects.toThrow("gone");
    expect(api.callsTo("GET /api/v1/jobs/7/")).toHaveLength(1);
  });
});
