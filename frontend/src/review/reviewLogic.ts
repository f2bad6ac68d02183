// Pure logic of the review workspace and the rework view: hotkeys, comments, fixes.
import { isBboxPayload, type Payload } from "../api/types";
import type { ReviewComment } from "../api/review";

export type ReviewAction = "accept" | "reject" | "fix" | "next" | "toggle-pre" | "toggle-others";

export const REVIEW_HOTKEYS: readonly { key: string; action: ReviewAction; help: string }[] = [
  { key: "a", action: "accept", help: "Accept the annotation as it is" },
  { key: "r", action: "reject", help: "Reject with the comments (back to the annotator)" },
  { key: "f", action: "fix", help: "Save the fix (edited labels and removed boxes)" },
  { key: "j", action: "next", help: "Next review in the queue" },
  { key: "p", action: "toggle-pre", help: "Show or hide the pre-annotation" },
  { key: "o", action: "toggle-others", help: "Show or hide the other annotators' answers" },
];

interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  target?: EventTarget | null;
}

/** The action of a key press, or null (modifiers held, or typing in a field). */
export function reviewHotkey(e: KeyLike): ReviewAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const target = e.target as { tagName?: string; isContentEditable?: boolean } | null | undefined;
  const tag = target?.tagName?.toUpperCase();
  if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target?.isContentEditable) return null;
  return REVIEW_HOTKEYS.find((h) => h.key === e.key.toLowerCase())?.action ?? null;
}

/** The comments to send: one per box note and one for the whole annotation, empty ones left out. */
export function buildComments(boxNotes: Record<number, string>, whole: string): ReviewComment[] {
  const comments: ReviewComment[] = Object.entries(boxNotes)
    .map(([box, text]) => ({ box: Number(box), region: null, text: text.trim() }))
    .filter((c) => c.text !== "")
    .sort((a, b) => (a.box ?? 0) - (b.box ?? 0));
  if (whole.trim()) comments.push({ box: null, region: null, text: whole.trim() });
  return comments;
}

/** Comments pinned to each box (by index), and the others (regions and the whole annotation). */
export function splitComments(comments: ReviewComment[]): { byBox: Map<number, string[]>; other: ReviewComment[] } {
  const byBox = new Map<number, string[]>();
  const other: ReviewComment[] = [];
  for (const c of comments) {
    if (c.box !== null && c.box !== undefined) byBox.set(c.box, [...(byBox.get(c.box) ?? []), c.text]);
    else other.push(c);
  }
  return { byBox, other };
}

export interface FixEdits {
  relabel: Record<number, string>;
  remove: number[];
  label?: string; // classification
}

export function hasEdits(payload: Payload, edits: FixEdits): boolean {
  return fixChanges(payload, edits) > 0;
}

/** The payload with the reviewer's edits applied (relabelled boxes, removed boxes, or the class). */
export function applyFix(payload: Payload, edits: FixEdits): Payload {
  if (isBboxPayload(payload)) {
    const removed = new Set(edits.remove);
    return {
      boxes: payload.boxes
        .map((b, i) => (edits.relabel[i] && edits.relabel[i] !== b.label ? { ...b, label: edits.relabel[i] } : b))
        .filter((_, i) => !removed.has(i)),
    };
  }
  return edits.label ? { label: edits.label } : payload;
}

/** How many objects the edits change. */
export function fixChanges(payload: Payload, edits: FixEdits): number {
  if (isBboxPayload(payload)) {
    const removed = new Set(edits.remove);
    const relabelled = payload.boxes.filter((b, i) => !removed.has(i) && edits.relabel[i] && edits.relabel[i] !== b.label);
    return removed.size + relabelled.length;
  }
  return edits.label && edits.label !== payload.label ? 1 : 0;
}

export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : value.toFixed(2);
}
