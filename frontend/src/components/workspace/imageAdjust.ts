// Brightness, contrast and gamma of the image being labelled (the boxes are not affected).
export interface ImageAdjustment {
  /** 1 = unchanged. */
  brightness: number;
  contrast: number;
  gamma: number;
}

export const NO_ADJUSTMENT: ImageAdjustment = { brightness: 1, contrast: 1, gamma: 1 };
export const GAMMA_FILTER_ID = "aqc-gamma";

/** The CSS filter for an adjustment ("none" when unchanged); gamma goes through an SVG filter. */
export function cssFilter(a: ImageAdjustment): string {
  const parts: string[] = [];
  if (a.brightness !== 1) parts.push(`brightness(${a.brightness})`);
  if (a.contrast !== 1) parts.push(`contrast(${a.contrast})`);
  if (a.gamma !== 1) parts.push(`url(#${GAMMA_FILTER_ID})`);
  return parts.length ? parts.join(" ") : "none";
}

/** Output = input ^ (1 / gamma): gamma above 1 brightens the shadows. */
export function gammaExponent(gamma: number): number {
  return 1 / Math.max(0.1, gamma);
}
