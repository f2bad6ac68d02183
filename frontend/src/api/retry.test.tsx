// @vitest-environment jsdom
// A busy server (503 from the load shedder, 429 from a rate limit): requests safe to repeat wait as Retry-After
// says, a bounded number of times, and the UI shows a calm "retrying" line meanwhile.
import { act, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ServerBusy } from "../components/ServerBusy";
import { mockFetch, type Reply } from "../test/mockFetch";
import { tasks } from "./client";
import { ApiError, apiRequest, resetCsrf, RETRY, retryAfterMs, retryDelayMs, serverBusy } from "./http";

const CSRF = { "GET /api/v1/auth/csrf/": { status: 204 } };
const shed = (seconds: string): Reply => ({
  status: 503,
  body: { detail: "The server is overloaded." },
  headers: { "Retry-After": seconds, "X-Load-Shed": "1" },
});
const limited = (seconds: string): Reply => ({ status: 429, body: { detail: "Slow down." }, headers: { "Retry-After": seconds } });

/** A route answering each reply in turn (the last one repeats). */
function script(...replies: Reply[]) {
  let n = 0;
  return () => replies[Math.min(n++, replies.length - 1)];
}

beforeEach(() => {
  resetCsrf();
  document.cookie = "csrftoken=tok-1";
  vi.useFakeTimers();
  vi.spyOn(Math, "random").mockReturnValue(0); // no jitter unless a test says so
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});

describe("retrying a busy server", () => {
  it("repeats a GET after the Retry-After of a 503, not before", async () => {
    const api = mockFetch({ "GET /api/v1/auth/me/": script(shed("2"), { status: 200, body: { id: 1 } }) });
    const result = apiRequest("GET", "/auth/me/");
    await vi.advanceTimersByTimeAsync(1999);
    expect(api.callsTo("GET /api/v1/auth/me/")).toHaveLength(1);
    expect(serverBusy()).toBe(true);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toEqual({ id: 1 });
    expect(api.callsTo("GET /api/v1/auth/me/")).toHaveLength(2);
    expect(serverBusy()).toBe(false);
  });

  it("repeats next-task (idempotent) after 503 without the shed mark and after 429", async () => {
    const api = mockFetch({
      ...CSRF,
      "POST /api/v1/projects/2/next-task/": script(
        { status: 503, body: { detail: "store down" }, headers: { "Retry-After": "1" } },
        limited("1"),
        { status: 200, body: { id: "t9" } },
      ),
    });
    const result = tasks.next(2);
    await vi.advanceTimersByTimeAsync(2000);
    await expect(result).resolves.toEqual({ id: "t9" });
    expect(api.callsTo("POST /api/v1/projects/2/next-task/")).toHaveLength(3);
  });

  it("repeats a submit only after a shed 503 or a 429, both answered before any work", async () => {
    const api = mockFetch({
      ...CSRF,
      "POST /api/v1/tasks/t5/submit/": script(shed("1"), limited("1"), { status: 201, body: { task_id: "t5", findings: [] } }),
    });
    const result = tasks.submit("t5", { label: "cat" }, 10);
    await vi.advanceTimersByTimeAsync(2000);
    await expect(result).resolves.toMatchObject({ task_id: "t5" });
    const sent = api.callsTo("POST /api/v1/tasks/t5/submit/");
    expect(sent).toHaveLength(3);
    expect(sent.every((c) => c.headers["X-CSRFToken"] === "tok-1")).toBe(true);
    expect(sent[2].body).toEqual(sent[0].body);
  });

  it("never repeats a submit after a 503 that may have acted (no shed mark), nor after a 500", async () => {
    for (const reply of [
      { status: 503, body: { detail: "The store is unreachable." }, headers: { "Retry-After": "1" } },
      { status: 500, body: { detail: "Server error." } },
    ]) {
      const api = mockFetch({ ...CSRF, "POST /api/v1/tasks/t5/submit/": reply });
      const err = await tasks.submit("t5", { label: "cat" }, 10).catch((e: unknown) => e);
      expect((err as ApiError).status).toBe(reply.status);
      expect(api.callsTo("POST /api/v1/tasks/t5/submit/")).toHaveLength(1);
    }
  });

  it("repeats a lost race (409 with Retry-After) only for a request safe to repeat", async () => {
    const race: Reply = { status: 409, body: { detail: "A concurrent request changed the same data." }, headers: { "Retry-After": "1" } };
    const api = mockFetch({
      ...CSRF,
      "POST /api/v1/projects/2/next-task/": script(race, { status: 200, body: { id: "t1" } }),
      "POST /api/v1/tasks/t1/skip/": race,
    });
    const next = tasks.next(2);
    await vi.advanceTimersByTimeAsync(1000);
    await expect(next).resolves.toEqual({ id: "t1" });
    const err = await tasks.skip("t1", "blurry").catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(409);
    expect(api.callsTo("POST /api/v1/tasks/t1/skip/")).toHaveLength(1);
  });

  it("gives up after a few attempts with the last error, each wait capped", async () => {
    const api = mockFetch({ "GET /api/v1/projects/": shed("3600") });
    const result = apiRequest("GET", "/projects/").catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(RETRY.maxDelayMs * (RETRY.attempts - 1));
    const err = await result;
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(503);
    expect(api.callsTo("GET /api/v1/projects/")).toHaveLength(RETRY.attempts);
    expect(serverBusy()).toBe(false);
  });

  it("stops waiting when the request is aborted", async () => {
    const api = mockFetch({ "GET /api/v1/projects/": shed("5") });
    const controller = new AbortController();
    const result = apiRequest("GET", "/projects/", { signal: controller.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(100);
    controller.abort(new DOMException("left the page", "AbortError"));
    expect(((await result) as DOMException).name).toBe("AbortError");
    await vi.advanceTimersByTimeAsync(10_000);
    expect(api.callsTo("GET /api/v1/projects/")).toHaveLength(1);
    expect(serverBusy()).toBe(false);
  });

  it("shows a calm busy line while a request waits, and hides it after", async () => {
    mockFetch({ "GET /api/v1/auth/me/": script(shed("1"), { status: 200, body: { id: 1 } }) });
    render(<ServerBusy />);
    expect(screen.queryByRole("status")).toBeNull();
    const result = apiRequest("GET", "/auth/me/");
    await act(() => vi.advanceTimersByTimeAsync(10));
    expect(screen.getByRole("status").textContent).toMatch(/busy; retrying/);
    expect(screen.queryByRole("alert")).toBeNull();
    await act(() => vi.advanceTimersByTimeAsync(1000));
    await result;
    expect(screen.queryByRole("status")).toBeNull();
  });
});

describe("the wait", () => {
  const answer = (headers: Record<string, string>) => new Response(null, { status: 503, headers });

  it("reads Retry-After in seconds or as a date", () => {
    expect(retryAfterMs("3")).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs("soon")).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });

  it("adds up to half again at random, caps it, and doubles a default when none is given", () => {
    expect(retryDelayMs(answer({ "Retry-After": "2" }), 1, () => 0)).toBe(2000);
    expect(retryDelayMs(answer({ "Retry-After": "2" }), 1, () => 1)).toBe(3000);
    expect(retryDelayMs(answer({ "Retry-After": "60" }), 1, () => 0)).toBe(RETRY.maxDelayMs);
    expect(retryDelayMs(answer({}), 1, () => 0)).toBe(RETRY.defaultDelayMs);
    expect(retryDelayMs(answer({}), 3, () => 0)).toBe(4 * RETRY.defaultDelayMs);
  });
});
