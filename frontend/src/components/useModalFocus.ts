// Keyboard focus of a modal dialog: moved in on open, kept in (Tab and Shift+Tab wrap), Escape closes, and given
// back on close to the element that had it when the dialog opened.
import { useEffect, useRef, type KeyboardEvent } from "react";

const FOCUSABLE = [
  "button:not([disabled])",
  "a[href]",
  "input:not([disabled]):not([type=hidden])",
  "select:not([disabled])",
  "textarea:not([disabled])",
  "[tabindex]:not([tabindex='-1'])",
].join(", ");

/** The controls of `root` that Tab reaches, in document order. */
export function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => el.tabIndex >= 0);
}

/**
 * Put `ref` on the dialog and `onKeyDown` on it (or an element around it). On mount focus goes to `initial` (else
 * the dialog's first control); on unmount back to what had it before, if that is still on the page.
 */
export function useModalFocus<T extends HTMLElement>(onEscape: () => void, initial?: () => HTMLElement | null) {
  const ref = useRef<T>(null);
  const latest = useRef({ onEscape, initial });
  latest.current = { onEscape, initial };

  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement && document.activeElement !== document.body
      ? document.activeElement
      : null;
    const enter = () => {
      const root = ref.current;
      if (!root) return;
      const target = latest.current.initial?.() ?? focusables(root)[0] ?? root;
      target.focus();
    };
    enter();
    // Focus that lands outside (a click on the page behind, a screen reader's jump) is brought back in.
    const onFocusIn = (e: FocusEvent) => {
      if (ref.current && e.target instanceof Node && !ref.current.contains(e.target)) enter();
    };
    document.addEventListener("focusin", onFocusIn);
    return () => {
      document.removeEventListener("focusin", onFocusIn);
      if (opener?.isConnected) opener.focus();
    };
  }, []);

  const onKeyDown = (e: KeyboardEvent) => {
    const root = ref.current;
    if (!root) return;
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation(); // not also a workspace shortcut (Esc clears the box selection there)
      latest.current.onEscape();
      return;
    }
    if (e.key !== "Tab") return;
    const items = focusables(root);
    if (items.length === 0) {
      e.preventDefault();
      return;
    }
    const first = items[0];
    const last = items[items.length - 1];
    const active = document.activeElement;
    const inside = active instanceof Node && root.contains(active);
    if (e.shiftKey && (!inside || active === first || active === root)) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && (!inside || active === last)) {
      e.preventDefault();
      first.focus();
    }
  };

  return { ref, onKeyDown };
}
