// Pure logic of the review workspace and the rework view: hotkeys, comments, fixes.
import { isBboxPayload, type Payload, type ProjectKind } from "../api/types";
import type { ObjectVerdict, ObjectVerdictValue, ReviewComment } from "../api/review";

export type ReviewAction =
  | "accept"
  | "reject"
  | "fix"
  | "next"
  | "toggle-pre"
  | "toggle-others"
  | "decide"
  | "deselect";

export const REVIEW_HOTKEYS: readonly { key: string; action: ReviewAction; help: string }[] = [
  { key: "a", action: "accept", help: "Accept the selected box, or (no box selected) the annotation" },
  { key: "r", action: "reject", help: "Reject the selected box, or (no box selected) the annotation" },
  { key: "d", action: "decide", help: "Send the box verdicts (any rejected box: back to the annotator)" },
  { key: "escape", action: "deselect", help: "Clear the box selection" },
  { key: "f", action: "fix", help: "Save the fix (edited labels and removed boxes)" },
  { key: "j", action: "next", help: "Next review in the queue" },
  { key: "p", action: "toggle-pre", help: "Show or hide the pre-annotation" },
  { key: "o", action: "toggle-others", help: "Show or hide the other annotators' answers" },
];

/** What a class review does not have: boxes to select, and verdicts per box to send. */
const BOX_ONLY: ReadonlySet<ReviewAction> = new Set<ReviewAction>(["decide", "deselect"]);

/** The review hotkeys of a project kind (a class review has no boxes to select or judge one by one), with
 * their help in that kind's words. */
export function reviewHotkeysFor(kind: ProjectKind): { key: string; action: ReviewAction; help: string }[] {
  if (kind === "bbox") return [...REVIEW_HOTKEYS];
  const classHelp: Partial<Record<ReviewAction, string>> = {
    accept: "Accept the annotation",
    reject: "Reject the annotation (write a comment first)",
    fix: "Save the fix (the class chosen)",
  };
  return REVIEW_HOTKEYS.filter((h) => !BOX_ONLY.has(h.action)).map((h) => ({
    ...h,
    help: classHelp[h.action] ?? h.help,
  }));
}

interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  target?: EventTarget | null;
}

/** Inputs that take no letters or digits: the hotkeys go on working while one of them has the focus. */
const KEYLESS_INPUTS = new Set(["checkbox", "radio", "button", "submit", "reset"]);

function typing(e: KeyLike): boolean {
  if (e.ctrlKey || e.metaKey || e.altKey) return true;
  const target = e.target as { tagName?: string; type?: string; isContentEditable?: boolean } | null | undefined;
  const tag = target?.tagName?.toUpperCase();
  if (tag === "INPUT") return !KEYLESS_INPUTS.has((target?.type ?? "text").toLowerCase());
  return tag === "TEXTAREA" || tag === "SELECT" || !!target?.isContentEditable;
}

/** The action of a key press, or null (modifiers held, typing in a field, or a key the kind has not). */
export function reviewHotkey(e: KeyLike, kind: ProjectKind = "bbox"): ReviewAction | null {
  if (typing(e)) return null;
  const action = REVIEW_HOTKEYS.find((h) => h.key === e.key.toLowerCase())?.action ?? null;
  return action !== null && kind !== "bbox" && BOX_ONLY.has(action) ? null : action;
}

/** The 0-based box a digit key selects (1 to 9), or null. */
export function boxHotkey(e: KeyLike, boxes: number): number | null {
  if (typing(e) || !/^[1-9]$/.test(e.key)) return null;
  const index = Number(e.key) - 1;
  return index < boxes ? index : null;
}

export type Verdicts = Record<number, ObjectVerdictValue>;

/** The per-box verdicts to send, by box; a box's note travels with its verdict. */
export function buildVerdicts(verdicts: Verdicts, boxNotes: Record<number, string>): ObjectVerdict[] {
  return Object.entries(verdicts)
    .map(([box, verdict]) => ({ box: Number(box), verdict, comment: (boxNotes[Number(box)] ?? "").trim() }))
    .sort((a, b) => a.box - b.box);
}

/** The comments to send beside verdicts: the notes of boxes without a verdict, and the whole one. */
export function commentsBesideVerdicts(
  verdicts: Verdicts,
  boxNotes: Record<number, string>,
  whole: string,
): ReviewComment[] {
  const rest = Object.fromEntries(Object.entries(boxNotes).filter(([box]) => !(Number(box) in verdicts)));
  return buildComments(rest, whole);
}

/** The whole decision the box verdicts make, or why there is none yet: any rejected box rejects, every box
 * accepted accepts; `given` (the A / R keys with no box selected) must not accept a rejected box. */
export function verdictDecision(
  verdicts: Verdicts,
  boxes: number,
  given?: "accept" | "reject",
): { decision: "accept" | "reject" } | { error: string } {
  const rejected = Object.entries(verdicts)
    .filter(([, v]) => v === "rejected")
    .map(([box]) => Number(box) + 1)
    .sort((a, b) => a - b);
  if (given === "accept" && rejected.length > 0)
    return {
      error: `Box ${rejected.join(", ")} ${rejected.length === 1 ? "is" : "are"} rejected: reject the annotation or change the box verdicts.`,
    };
  if (given) return { decision: given };
  if (rejected.length > 0) return { decision: "reject" };
  if (Object.keys(verdicts).length === boxes && boxes > 0) return { decision: "accept" };
  return { error: "Give every box a verdict (or reject one) first." };
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
