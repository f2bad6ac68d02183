// Images of the app's own API answer with a redirect to a short-lived presigned bucket URL (object
// storage). A page left open may try to load one after that URL expired: the bucket answers 403 and the
// image fails. Asking the API again (a new URL, so no cached redirect or failure is reused) gets a fresh
// presigned URL. Other URLs (an item's own http image URL) are left as they are. When the fresh URL fails
// too, the image is shown as failed, with a way to try again (another fresh URL).
import { useCallback, useState } from "react";

/** Fresh URLs asked for by themselves after a failed load, before the image is shown as failed. */
export const IMAGE_REFETCHES = 1;

/** The URL to load on the given attempt (0: as given). */
export function refetchUrl(url: string, attempt: number): string {
  if (attempt === 0 || !url.startsWith("/api/")) return url;
  return `${url}${url.includes("?") ? "&" : "?"}fresh=${attempt}`;
}

/** Whether a failed load of this URL is worth another try (an API image, and `tried` fresh URLs so far). */
export function canRefetch(url: string, tried: number): boolean {
  return url.startsWith("/api/") && tried < IMAGE_REFETCHES;
}

/** An image being shown: its `src`; `failed` once it and its fresh URLs failed; `retry` starts again. */
export interface FreshImage {
  src: string | null;
  /** Changes with every new URL tried: a key for the `<img>`, so even an unchanged URL is loaded again. */
  attempt: number;
  onError: () => void;
  failed: boolean;
  retry: () => void;
}

interface Attempts {
  url: string | null;
  /** The attempt whose URL is shown (see refetchUrl). */
  attempt: number;
  /** The attempt the current round started at (0, or a retry's). */
  first: number;
  failed: boolean;
}

const start = (url: string | null): Attempts => ({ url, attempt: 0, first: 0, failed: false });

/** For an `<img>`: its `src`, and an `onError` that asks for a fresh URL (IMAGE_REFETCHES times), then fails. */
export function useFreshImage(url: string | null): FreshImage {
  const [state, setState] = useState<Attempts>(() => start(url));
  const current = state.url === url ? state : start(url);
  if (current !== state) setState(current); // another image: start over
  const onError = useCallback(() => {
    setState((s) => {
      if (s.url !== url || s.failed) return s;
      if (url && canRefetch(url, s.attempt - s.first)) return { ...s, attempt: s.attempt + 1 };
      return { ...s, failed: true };
    });
  }, [url]);
  const retry = useCallback(() => {
    setState((s) => ({ ...s, attempt: s.attempt + 1, first: s.attempt + 1, failed: false }));
  }, []);
  return {
    src: url ? refetchUrl(url, current.attempt) : null,
    attempt: current.attempt,
    onError,
    failed: current.failed,
    retry,
  };
}
