// Label colours and hotkeys: the project's (with defaults) and the user's own remaps.
import type { LabelDetail } from "../api/types";

// Stable, distinguishable colours per label (by position in the project's label list); the server's defaults.
const PALETTE = ["#1f77b4", "#2ca02c", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f", "#3f51b5", "#d35400"];

export function labelColor(label: string, labels: string[], colours?: Record<string, string>): string {
  const own = colours?.[label];
  if (own) return own;
  const index = labels.indexOf(label);
  if (index < 0) return "#555555";
  return PALETTE[index % PALETTE.length];
}

export const SEVERITY_COLOR = { error: "#d62728", warning: "#ff7f0e" } as const;

/** Keys the workspaces keep for themselves: never a label's hotkey. */
export const RESERVED_KEYS = new Set(["h", "s", "f", "n"]);
const KEY = /^[0-9a-z]$/;

export function isAssignableKey(key: string): boolean {
  return KEY.test(key) && !RESERVED_KEYS.has(key);
}

/**
 * Default hotkeys, as the server computes them: a label that is itself one digit or letter gets that key
 * ("0" -> 0, "9" -> 9); the others take 1-9 then 0 in order.
 */
export function defaultHotkeys(labels: string[], taken: Set<string> = new Set()): Record<string, string> {
  const keys: Record<string, string> = {};
  const used = new Set(taken);
  for (const label of labels) {
    const key = label.toLowerCase();
    if (isAssignableKey(key) && !used.has(key)) {
      keys[label] = key;
      used.add(key);
    }
  }
  const free = [..."1234567890"].filter((k) => !used.has(k));
  for (const label of labels) {
    if (!(label in keys) && free.length > 0) keys[label] = free.shift() as string;
  }
  return keys;
}

/** Every label with its colour, hotkey and retired flag: the project's details, else the defaults. */
export function labelDetails(labels: string[], details?: LabelDetail[]): LabelDetail[] {
  if (details && details.length === labels.length) return details;
  const keys = defaultHotkeys(labels);
  return labels.map((name) => ({ name, colour: labelColor(name, labels), hotkey: keys[name] ?? null, retired: false }));
}

/** The project's hotkeys with the user's remaps applied: a remapped key moves to its new label. */
export function effectiveHotkeys(details: LabelDetail[], remap: Record<string, string> = {}): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const d of details) out[d.name] = d.retired ? null : d.hotkey;
  for (const [label, key] of Object.entries(remap)) {
    if (!(label in out) || out[label] === undefined || details.find((d) => d.name === label)?.retired) continue;
    for (const other of Object.keys(out)) if (out[other] === key) out[other] = null;
    out[label] = key;
  }
  return out;
}

/** key -> index into `labels`, for the hotkey handler. */
export function keyMap(labels: string[], hotkeys: Record<string, string | null>): Record<string, number> {
  const map: Record<string, number> = {};
  labels.forEach((label, index) => {
    const key = hotkeys[label];
    if (key) map[key] = index;
  });
  return map;
}
