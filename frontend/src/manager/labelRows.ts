// The label rows of the project forms: checks before sending, and the request bodies.
import type { LabelConfigEntry, LabelDetail } from "../api/types";
import { isAssignableKey } from "../editor/labels";

export interface LabelRow {
  name: string;
  colour: string;
  hotkey: string;
  retired: boolean;
  /** True for a label the server already has (its name changes through a rename). */
  saved: boolean;
}

const COLOUR = /^#[0-9a-fA-F]{6}$/;
const NEW_COLOURS = ["#1f77b4", "#2ca02c", "#9467bd", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f", "#3f51b5", "#d35400"];

export function rowsFromDetails(details: LabelDetail[], config: Record<string, LabelConfigEntry> = {}): LabelRow[] {
  return details.map((d) => ({
    name: d.name,
    colour: d.colour,
    // Only a key the manager chose is shown as chosen; the defaults stay defaults.
    hotkey: config[d.name]?.hotkey ?? "",
    retired: d.retired,
    saved: true,
  }));
}

export function newRow(index: number, name = ""): LabelRow {
  return { name, colour: NEW_COLOURS[index % NEW_COLOURS.length], hotkey: "", retired: false, saved: false };
}

/** Errors by field path as the server names them: `labels`, `label_config.<label>.hotkey|colour`. */
export function checkRows(rows: LabelRow[]): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  const names = rows.map((r) => r.name.trim());
  if (names.length === 0) errors.labels = ["add at least one label"];
  if (names.some((n) => !n)) errors.labels = ["every label needs a name"];
  const dup = names.find((n, i) => n && names.indexOf(n) !== i);
  if (dup) errors.labels = [`"${dup}" is there twice`];
  const keys = new Map<string, string>();
  for (const r of rows) {
    const name = r.name.trim();
    if (r.hotkey) {
      if (!isAssignableKey(r.hotkey)) errors[`label_config.${name}.hotkey`] = ["one letter or digit, not h, s, f or n"];
      else if (keys.has(r.hotkey))
        errors[`label_config.${name}.hotkey`] = [`'${r.hotkey}' is already the hotkey of ${keys.get(r.hotkey)}`];
      else keys.set(r.hotkey, name);
    }
    if (!COLOUR.test(r.colour)) errors[`label_config.${name}.colour`] = ["a colour as #rrggbb"];
  }
  if (rows.length > 0 && rows.every((r) => r.retired)) errors.label_config = ["at least one label must stay active"];
  return errors;
}

export function labelConfig(rows: LabelRow[]): Record<string, LabelConfigEntry> {
  return Object.fromEntries(
    rows.map((r) => [r.name.trim(), { colour: r.colour, hotkey: r.hotkey || null, retired: r.retired }]),
  );
}
