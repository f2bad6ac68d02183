// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { mockFetch } from "../../test/mockFetch";
import { resetApiAroundEachTest } from "../../test/session";
import { PrioritizeCard } from "./PrioritizeCard";

resetApiAroundEachTest();

const queue = (strategy: string, ids: number[], next: string | null) => ({
  status: 200,
  body: {
    strategy,
    requested_strategy: strategy,
    model_version: null,
    computed_at: null,
    note: null,
    results: ids.map((id) => ({ item_id: id, external_id: `x${id}`, score: 1 / id, open_slots: 1 })),
    next_cursor: next,
  },
});

describe("PrioritizeCard", () => {
  it("a run already going is shown and followed instead of starting another", async () => {
    const api = mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "GET /api/v1/projects/2/queue/": (call) =>
        call.query.get("cursor") ? queue("margin", [26], null) : queue("margin", [1, 2], "c1"),
      "POST /api/v1/projects/2/prioritize/": {
        status: 409,
        body: { detail: "A prioritisation run is already going.", job_id: 77, run_id: 5 },
      },
      "GET /api/v1/jobs/77/": { status: 200, body: { id: 77, kind: "prioritize", status: "succeeded", progress: 1, message: "", result: null } },
    });
    render(<PrioritizeCard projectId={2} strategy="margin" />);
    await screen.findAllByTestId("full-queue-row");
    fireEvent.change(screen.getByTestId("prioritize-strategy"), { target: { value: "entropy" } });
    fireEvent.click(screen.getByTestId("prioritize-start"));
    await waitFor(() => expect(screen.getByTestId("prioritize-note").textContent).toContain("already going"));
    expect(api.callsTo("POST /api/v1/projects/2/prioritize/")[0].body).toEqual({ strategy: "entropy" });
    await waitFor(() => expect(screen.getByTestId("prioritize-job").dataset.status).toBe("succeeded"));
    expect(screen.getByTestId("prioritize-job").textContent).toContain("#77");
  });

  it("pages the queue with the server's cursor and back", async () => {
    const api = mockFetch({
      "GET /api/v1/projects/2/queue/": (call) =>
        call.query.get("cursor") === "c1" ? queue("margin", [26], null) : queue("margin", [1, 2], "c1"),
    });
    render(<PrioritizeCard projectId={2} strategy="margin" />);
    await screen.findAllByTestId("full-queue-row");
    expect(screen.getByTestId("full-queue-prev")).toHaveProperty("disabled", true);
    fireEvent.click(screen.getByTestId("full-queue-next"));
    await waitFor(() => expect(screen.getAllByTestId("full-queue-row").map((r) => r.dataset.itemId)).toEqual(["26"]));
    expect(screen.getByTestId("full-queue-next")).toHaveProperty("disabled", true);
    expect(api.calls.at(-1)?.query.get("limit")).toBe("25");
    fireEvent.click(screen.getByTestId("full-queue-prev"));
    await waitFor(() => expect(screen.getAllByTestId("full-queue-row")).toHaveLength(2));
  });
});
