// Images of the app's own API answer with a redirect to a short-lived presigned bucket URL (object
// storage). A page left open may try to load one after that URL expired: the bucket answers 403 and the
// image fails. Asking the API again (a new URL, so no cached redirect or failure is reused) gets a fresh
// presigned URL. Other URLs (an item's own http image URL) are left as they are.
import { useCallback, useEffect, useState } from "react";

/** Fresh URLs asked for after a failed load, before the image is given up. */
export const IMAGE_REFETCHES = 2;

/** The URL to load on the given attempt (0: as given). */
export function refetchUrl(url: string, attempt: number): string {
  if (attempt === 0 || !url.startsWith("/api/")) return url;
  return `${url}${url.includes("?") ? "&" : "?"}fresh=${attempt}`;
}

/** Whether a failed load of this URL is worth another try (an API image, tries left). */
export function canRefetch(url: string, attempt: number): boolean {
  return url.startsWith("/api/") && attempt < IMAGE_REFETCHES;
}

/** For an `<img>`: its `src`, and an `onError` that asks for a fresh URL (at most IMAGE_REFETCHES times). */
export function useFreshImage(url: string | null): { src: string | null; onError: () => void } {
  const [attempt, setAttempt] = useState(0);
  useEffect(() => setAttempt(0), [url]);
  const onError = useCallback(() => {
    setAttempt((a) => (url && canRefetch(url, a) ? a + 1 : a));
  }, [url]);
  return { src: url ? refetchUrl(url, attempt) : null, onError };
}
