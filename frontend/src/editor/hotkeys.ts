// Keyboard shortcuts of the labeling workspaces: one pure mapping from a key event to an action.

export interface KeyInput {
  key: string;
  code?: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  shiftKey?: boolean;
  altKey?: boolean;
}

export type HotkeyAction =
  | { type: "label"; index: number }
  | { type: "delete" }
  | { type: "undo" }
  | { type: "redo" }
  | { type: "zoomIn" }
  | { type: "zoomOut" }
  | { type: "fit" }
  | { type: "submit" }
  | { type: "skip" }
  | { type: "deselect" }
  | { type: "cycle"; step: 1 | -1 }
  | { type: "newBox" }
  | { type: "nudge"; dx: number; dy: number }
  | { type: "resize"; dw: number; dh: number }
  | { type: "help" };

export type WorkspaceKind = "bbox" | "classification";

const ARROWS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

/** The digit 0-9 pressed (from the key, or the physical key when Shift or NumLock changed it), or null. */
export function digitOf(e: KeyInput): number | null {
  if (/^[0-9]$/.test(e.key)) return Number(e.key);
  const m = /^(?:Digit|Numpad)([0-9])$/.exec(e.code ?? "");
  return m ? Number(m[1]) : null;
}

/** Positional keys for `count` labels: 1-9, then 0 for the tenth. */
export function positionalKeys(count: number): Record<string, number> {
  const keys: Record<string, number> = {};
  [..."1234567890"].slice(0, count).forEach((k, i) => (keys[k] = i));
  return keys;
}

/**
 * The action of a key. `labelKeys` maps a hotkey (a digit or letter) to a label's index; a number stands for
 * that many labels on 1-9 then 0.
 */
export function keyToAction(
  e: KeyInput,
  kind: WorkspaceKind,
  labelKeys: number | Record<string, number>,
): HotkeyAction | null {
  const labelOf = typeof labelKeys === "number" ? positionalKeys(labelKeys) : labelKeys;
  const mod = !!(e.ctrlKey || e.metaKey);
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;

  if (mod && !e.altKey) {
    if (key === "z") return e.shiftKey ? { type: "redo" } : { type: "undo" };
    if (key === "y") return { type: "redo" };
  }
  if (e.altKey) return null;

  if (!mod) {
    const digit = digitOf(e);
    if (digit !== null && !e.shiftKey) {
      const index = labelOf[String(digit)];
      return index === undefined ? null : { type: "label", index };
    }
    if (key.length === 1 && !e.shiftKey && labelOf[key] !== undefined) return { type: "label", index: labelOf[key] };
    if (key === "Enter") return { type: "submit" };
    if (key === "?" || (key === "h" && !e.shiftKey)) return { type: "help" };
    if (key === "s" && !e.shiftKey) return { type: "skip" };
  }
  if (kind === "classification") return null;

  const arrow = ARROWS[e.key];
  if (arrow) {
    const step = e.shiftKey ? 10 : 1;
    return mod
      ? { type: "resize", dw: arrow[0] * step, dh: arrow[1] * step }
      : { type: "nudge", dx: arrow[0] * step, dy: arrow[1] * step };
  }
  if (mod) return null;
  switch (key) {
    case "Delete":
    case "Backspace":
      return { type: "delete" };
    case "+":
    case "=":
      return { type: "zoomIn" };
    case "-":
    case "_":
      return { type: "zoomOut" };
    case "f":
      return { type: "fit" };
    case "Escape":
      return { type: "deselect" };
    case "]":
      return { type: "cycle", step: 1 };
    case "[":
      return { type: "cycle", step: -1 };
    case "n":
      return { type: "newBox" };
    default:
      return null;
  }
}

export interface HotkeyHelp {
  keys: string;
  what: string;
}

export function hotkeyHelp(kind: WorkspaceKind): HotkeyHelp[] {
  const common: HotkeyHelp[] = [
    {
      keys: "Label keys (on the buttons)",
      what: kind === "bbox" ? "Choose a label (and relabel the selected box)" : "Choose a label",
    },
    { keys: "Enter", what: "Submit and load the next task" },
    { keys: "S", what: "Skip this task (asks for a reason)" },
    { keys: "H or ?", what: "Show or hide this help" },
  ];
  if (kind === "classification") return common;
  return [
    ...common,
    { keys: "Drag on the image", what: "Draw a box with the active label" },
    { keys: "Shift + drag", what: "Draw a box starting over another box" },
    { keys: "Drag a box or its handles", what: "Move or resize it" },
    { keys: "N", what: "New box in the middle of the view" },
    { keys: "Click, [ or ]", what: "Select a box (previous / next)" },
    { keys: "Tab", what: "Move through the box list; Enter or Space selects" },
    { keys: "Arrows (Shift: ×10)", what: "Move the selected box by 1 px" },
    { keys: "Ctrl + Arrows", what: "Resize the selected box (right/bottom edge)" },
    { keys: "Delete / Backspace", what: "Delete the selected box" },
    { keys: "Esc", what: "Clear the selection" },
    { keys: "Ctrl+Z", what: "Undo" },
    { keys: "Ctrl+Shift+Z or Ctrl+Y", what: "Redo" },
    { keys: "Wheel, + / −", what: "Zoom" },
    { keys: "F", what: "Fit the image to the view" },
    { keys: "Space + drag, middle drag", what: "Pan" },
  ];
}

/** True when a key event comes from a control that needs the key itself (typing, buttons, selects). */
export function targetOwnsKey(target: EventTarget | null, key: string): boolean {
  if (!target || !(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable) return true;
  if ((tag === "BUTTON" || tag === "A" || target.getAttribute("role") === "button") && (key === "Enter" || key === " ")) {
    return true;
  }
  return false;
}
