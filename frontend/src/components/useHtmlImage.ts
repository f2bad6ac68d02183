import { useEffect, useState } from "react";
import { canRefetch, refetchUrl } from "./freshImage";

/** Loads an image for the canvas; null until loaded, or when there is no URL or it fails. A failed load
 * of an API image is retried with a fresh URL (an expired presigned redirect: see freshImage.ts). */
export function useHtmlImage(url: string | null): HTMLImageElement | null {
  const [image, setImage] = useState<HTMLImageElement | null>(null);
  useEffect(() => {
    setImage(null);
    if (!url) return;
    let live = true;
    const load = (attempt: number) => {
      const img = new window.Image();
      img.onload = () => live && setImage(img);
      img.onerror = () => {
        if (!live) return;
        if (canRefetch(url, attempt)) load(attempt + 1);
        else setImage(null);
      };
      img.src = refetchUrl(url, attempt);
    };
    load(0);
    return () => {
      live = false;
    };
  }, [url]);
  return image;
}
