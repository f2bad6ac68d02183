import { useEffect, useState } from "react";

/** Loads an image for the canvas; null until loaded, or when there is no URL or it fails. */
export function useHtmlImage(url: string | null): HTMLImageElement | null {
  const [image, setImage] = useState<HTMLImageElement | null>(null);
  useEffect(() => {
    setImage(null);
    if (!url) return;
    const img = new window.Image();
    let live = true;
    img.onload = () => live && setImage(img);
    img.onerror = () => live && setImage(null);
    img.src = url;
    return () => {
      live = false;
    };
  }, [url]);
  return image;
}
