// @vitest-environment jsdom
// A failed image load (an expired presigned redirect: 403 from the bucket) asks the API once for a fresh
// URL; when that fails too, the image is shown as failed with a way to try again.
import { act, fireEvent, render, renderHook, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetCsrf } from "../api";
import type { Task } from "../api/types";
import { ClassificationWorkspace } from "../pages/ClassificationWorkspace";
import { mockFetch } from "../test/mockFetch";
import { AnnotationOverlay } from "./AnnotationOverlay";
import { IMAGE_REFETCHES, refetchUrl, useFreshImage } from "./freshImage";
import { useHtmlImage } from "./useHtmlImage";

/** A stand-in for window.Image whose loads fail for the URLs in `failing`. */
function fakeImages(failing: (src: string) => boolean) {
  const requested: string[] = [];
  class FakeImage {
    onload: (() => void) | null = null;
    onerror: (() => void) | null = null;
    private url = "";
    set src(value: string) {
      this.url = value;
      requested.push(value);
      queueMicrotask(() => (failing(value) ? this.onerror?.() : this.onload?.()));
    }
    get src() {
      return this.url;
    }
  }
  vi.stubGlobal("Image", FakeImage);
  return requested;
}

afterEach(() => vi.unstubAllGlobals());

describe("fresh image URLs", () => {
  it("asks the API again with a new URL, leaves other URLs alone", () => {
    expect(IMAGE_REFETCHES).toBe(1);
    expect(refetchUrl("/api/v1/images/tok/", 0)).toBe("/api/v1/images/tok/");
    expect(refetchUrl("/api/v1/images/tok/", 1)).toBe("/api/v1/images/tok/?fresh=1");
    expect(refetchUrl("/api/v1/images/tok/?size=preview", 2)).toBe("/api/v1/images/tok/?size=preview&fresh=2");
    expect(refetchUrl("https://cdn.example/a.png?sig=x", 1)).toBe("https://cdn.example/a.png?sig=x");
  });

  it("the canvas image is loaded again from a fresh URL after its first load failed", async () => {
    const requested = fakeImages((src) => !src.includes("fresh=")); // the first URL's redirect expired
    const { result } = renderHook(() => useHtmlImage("/api/v1/images/tok/"));
    await waitFor(() => expect(result.current.image).not.toBeNull());
    expect(result.current.failed).toBe(false);
    expect(requested).toEqual(["/api/v1/images/tok/", "/api/v1/images/tok/?fresh=1"]);
  });

  it("the canvas image fails after one fresh URL, and tries again from new URLs when asked", async () => {
    let gone = true;
    const requested = fakeImages(() => gone);
    const { result } = renderHook(() => useHtmlImage("/api/v1/images/tok/"));
    await waitFor(() => expect(result.current.failed).toBe(true));
    expect(requested).toEqual(["/api/v1/images/tok/", "/api/v1/images/tok/?fresh=1"]);
    expect(result.current.image).toBeNull();
    await new Promise((r) => setTimeout(r, 20));
    expect(requested).toHaveLength(2); // no more tries by itself

    gone = false; // the bucket is back
    act(() => result.current.retry());
    await waitFor(() => expect(result.current.image).not.toBeNull());
    expect(result.current.failed).toBe(false);
    expect(requested.slice(2)).toEqual(["/api/v1/images/tok/?fresh=2"]);
  });

  it("an item's own http image is not asked for again: it fails at once", async () => {
    const requested = fakeImages(() => true);
    const { result } = renderHook(() => useHtmlImage("https://cdn.example/a.png"));
    await waitFor(() => expect(result.current.failed).toBe(true));
    expect(requested).toEqual(["https://cdn.example/a.png"]);
  });

  it("an <img> whose load fails asks for a fresh URL once, then shows the failure with a retry", () => {
    function Shown({ url }: { url: string }) {
      const image = useFreshImage(url);
      if (image.failed) return <button onClick={image.retry}>again</button>;
      return <img key={image.attempt} alt="item" src={image.src ?? undefined} onError={image.onError} />;
    }
    const { rerender } = render(<Shown url="/api/v1/images/tok/" />);
    const img = () => screen.getByAltText("item") as HTMLImageElement;
    expect(img().getAttribute("src")).toBe("/api/v1/images/tok/");
    fireEvent.error(img());
    expect(img().getAttribute("src")).toBe("/api/v1/images/tok/?fresh=1");
    fireEvent.error(img());
    expect(screen.queryByAltText("item")).toBeNull();
    fireEvent.click(screen.getByText("again"));
    expect(img().getAttribute("src")).toBe("/api/v1/images/tok/?fresh=2");
    fireEvent.error(img());
    expect(img().getAttribute("src")).toBe("/api/v1/images/tok/?fresh=3"); // a retry asks for a fresh one once more
    rerender(<Shown url="/api/v1/images/other/" />); // another image starts over
    expect(img().getAttribute("src")).toBe("/api/v1/images/other/");
  });
});

describe("images in the workspaces", () => {
  const task: Task = {
    id: "t11",
    project_id: 1,
    kind: "classification",
    labels: ["cat", "dog"],
    item: { id: "i5", image_url: "/api/v1/images/tok5/", width: 64, height: 64 },
    pre_annotation: null,
    status: "assigned",
    lease_expires_at: "2026-01-01T00:30:00Z",
    served_at: "2026-01-01T00:00:00Z",
  };
  beforeEach(() => resetCsrf());

  it("the labeling workspace asks for a fresh URL when the image fails, then says it failed", async () => {
    mockFetch({
      "GET /api/v1/auth/csrf/": { status: 204 },
      "POST /api/v1/tasks/t11/lint/": { status: 200, body: { findings: [] } },
    });
    render(<ClassificationWorkspace task={task} onDone={vi.fn()} />);
    const image = () => screen.getByTestId("class-image") as HTMLImageElement;
    const first = image().getAttribute("src") ?? "";
    expect(first.startsWith("/api/v1/images/tok5/")).toBe(true);
    fireEvent.error(image()); // the presigned URL it was redirected to expired: 403
    expect(image().getAttribute("src")).toBe(refetchUrl(first, 1));
    expect(screen.queryByRole("alert")).toBeNull();
    fireEvent.error(image()); // the fresh one fails too: the image is gone
    expect(screen.getByRole("alert").textContent).toContain("The image could not be loaded.");
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(image().getAttribute("src")).toBe(refetchUrl(first, 2));
    await waitFor(() => expect(screen.queryByRole("alert")).toBeNull());
  });

  it("the review overlay does the same (with the preview: the overlay is fitted into a few hundred pixels)", () => {
    render(<AnnotationOverlay item={{ ...task.item }} layers={[]} />);
    const image = () => screen.getByAltText("Item i5") as HTMLImageElement;
    expect(image().getAttribute("src")).toBe("/api/v1/images/tok5/?size=preview");
    fireEvent.error(image());
    expect(image().getAttribute("src")).toBe("/api/v1/images/tok5/?size=preview&fresh=1");
    fireEvent.error(image());
    expect(screen.getByTestId("image-failed")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(image().getAttribute("src")).toBe("/api/v1/images/tok5/?size=preview&fresh=2");
  });
});
