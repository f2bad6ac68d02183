/**
 * Very large images come with a downscaled preview (the server's `?size=preview`; the image itself when it
 * has none). The canvas shows the preview and loads the original only once the view magnifies the
 * preview's pixels. Either is drawn at the original's size, so boxes stay in the original's pixels.
 */

/** The preview's URL for an image URL of the app's API (stored images, and images imported by URL, which
 * the API serves or redirects); any other URL (an item's own image URL) is the image itself. */
export function previewUrl(url: string): string {
  if (!url.startsWith("/api/")) return url;
  return `${url}${url.includes("?") ? "&" : "?"}size=preview`;
}

/**
 * Whether the original must replace what is shown: the shown image has fewer pixels than the original
 * (`shownWidth` < `width`) and the view scale (screen pixels per original pixel) magnifies its pixels.
 */
export function needsFullResolution(scale: number, shownWidth: number, width: number): boolean {
  if (shownWidth <= 0 || width <= 0 || shownWidth >= width) return false;
  return scale > shownWidth / width;
}
