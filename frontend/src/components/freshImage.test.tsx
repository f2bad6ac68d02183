// @vitest-environment jsdom
// A failed image load (an expired presigned redirect: 403 from the bucket) asks the API for a fresh URL.
import { fireEvent, render, renderHook, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
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
    expect(refetchUrl("/api/v1/images/tok/", 0)).toBe("/api/v1/images/tok/");
    expect(refetchUrl("/api/v1/images/tok/", 1)).toBe("/api/v1/images/tok/?fresh=1");
    expect(refetchUrl("https://cdn.example/a.png?sig=x", 1)).toBe("https://cdn.example/a.png?sig=x");
  });

  it("the canvas image is loaded again from a fresh URL after its first load failed", async () => {
    const requested = fakeImages((src) => !src.includes("fresh=")); // the first URL's redirect expired
    const { result } = renderHook(() => useHtmlImage("/api/v1/images/tok/"));
    await waitFor(() => expect(result.current).not.toBeNull());
    expect(requested).toEqual(["/api/v1/images/tok/", "/api/v1/images/tok/?fresh=1"]);
  });

  it("gives up after a few fresh URLs (the image is really gone)", async () => {
    const requested = fakeImages(() => true);
    const { result } = renderHook(() => useHtmlImage("/api/v1/images/tok/"));
    await waitFor(() => expect(requested).toHaveLength(1 + IMAGE_REFETCHES));
    await new Promise((r) => setTimeout(r, 20));
    expect(requested).toHaveLength(1 + IMAGE_REFETCHES);
    expect(result.current).toBeNull();
  });

  it("an <img> whose load fails asks for a fresh URL", () => {
    function Shown({ url }: { url: string }) {
      const image = useFreshImage(url);
      return <img alt="item" src={image.src ?? undefined} onError={image.onError} />;
    }
    render(<Shown url="/api/v1/images/tok/" />);
    const img = screen.getByAltText("item") as HTMLImageElement;
    expect(img.getAttribute("src")).toBe("/api/v1/images/tok/");
    fireEvent.error(img);
    expect(img.getAttribute("src")).toBe("/api/v1/images/tok/?fresh=1");
    fireEvent.error(img);
    fireEvent.error(img);
    expect(img.getAttribute("src")).toBe(`/api/v1/images/tok/?fresh=${IMAGE_REFETCHES}`);
  });
});
