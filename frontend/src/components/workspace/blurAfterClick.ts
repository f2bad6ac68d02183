import type { MouseEvent } from "react";

/**
 * A mouse click on a button leaves the focus there, and the button then takes Enter and Space for itself, so the
 * workspace's Enter (submit) and Space (pan) would not work. A click with the mouse (`detail > 0`; keyboard
 * activation has 0) gives the focus back to the page. Keyboard users keep theirs.
 */
export function blurAfterMouseClick(e: MouseEvent<HTMLElement>): void {
  if (e.detail === 0) return;
  const target = e.target instanceof HTMLElement ? e.target.closest("button, [role=button], a") : null;
  // A button that opens a dialog keeps the focus: the dialog gives it back there when it closes.
  if (target instanceof HTMLElement && !target.closest("[role=dialog]") && !target.hasAttribute("aria-haspopup")) {
    target.blur();
  }
}
