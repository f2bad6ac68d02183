import { useCallback, useEffect, useState } from "react";
import { canRefetch, IMAGE_REFETCHES, refetchUrl } from "./freshImage";

export interface HtmlImage {
  /** The loaded image; null while loading, without a URL, or once it failed. */
  image: HTMLImageElement | null;
  /** The image and its fresh URLs failed to load. */
  failed: boolean;
  /** Loads it again from a fresh URL. */
  retry: () => void;
}

/** Loads an image for the canvas. A failed load of an API image is retried with a fresh URL (an expired
 * presigned redirect: see freshImage.ts) before the image is reported as failed. */
export function useHtmlImage(url: string | null): HtmlImage {
  const [image, setImage] = useState<HTMLImageElement | null>(null);
  const [failed, setFailed] = useState(false);
  // Rounds of "try again" asked for this URL: each starts at URLs of its own, never reused.
  const [rounds, setRounds] = useState<{ url: string | null; count: number }>({ url, count: 0 });
  const round = rounds.url === url ? rounds.count : 0;
  useEffect(() => {
    setImage(null);
    setFailed(false);
    if (!url) return;
    let live = true;
    const first = round * (1 + IMAGE_REFETCHES);
    const load = (attempt: number) => {
      const img = new window.Image();
      img.onload = () => live && setImage(img);
      img.onerror = () => {
        if (!live) return;
        if (canRefetch(url, attempt - first)) load(attempt + 1);
        else setFailed(true);
      };
      img.src = refetchUrl(url, attempt);
    };
    load(first);
    return () => {
      live = false;
    };
  }, [url, round]);
  const retry = useCallback(() => {
    setRounds((r) => ({ url, count: (r.url === url ? r.count : 0) + 1 }));
  }, [url]);
  return { image, failed, retry };
}
