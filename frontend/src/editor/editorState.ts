// The bbox editor's state machine: boxes (with undo/redo), the selection and the active label.
import type { BboxPayload, PayloadBox } from "../api/types";
import {
  addBox,
  deleteBox,
  fromPayloadBoxes,
  indexOfBox,
  moveBoxTo,
  nudgeBox,
  relabelBox,
  resizeBoxBy,
  setBoxRect,
  toPayloadBoxes,
  type EditorBox,
} from "./boxes";
import type { Rect, Size } from "./geometry";
import { canRedo, canUndo, createHistory, pushHistory, redo, undo, type History } from "./history";

export interface EditorState {
  image: Size;
  labels: string[];
  history: History<EditorBox[]>;
  selectedId: string | null;
  activeLabel: string;
  nextId: number;
}

export type EditorAction =
  | { type: "add"; rect: Rect; label?: string }
  | { type: "setRect"; id: string; rect: Rect }
  | { type: "moveTo"; id: string; rect: Rect }
  | { type: "nudge"; dx: number; dy: number }
  | { type: "resizeBy"; dw: number; dh: number }
  | { type: "delete"; id?: string }
  | { type: "relabel"; id: string; label: string }
  | { type: "select"; id: string | null }
  | { type: "selectIndex"; index: number }
  | { type: "cycleSelection"; step: 1 | -1 }
  | { type: "chooseLabel"; label: string }
  | { type: "undo" }
  | { type: "redo" };

export function createEditorState(image: Size, labels: string[], boxes: PayloadBox[] = []): EditorState {
  const initial = fromPayloadBoxes(boxes, 1);
  return {
    image,
    labels,
    history: createHistory(initial),
    selectedId: null,
    activeLabel: labels[0] ?? "",
    nextId: initial.length + 1,
  };
}

export function currentBoxes(state: EditorState): EditorBox[] {
  return state.history.present;
}

export function editorPayload(state: EditorState): BboxPayload {
  return { boxes: toPayloadBoxes(state.history.present) };
}

export function selectedIndex(state: EditorState): number {
  return indexOfBox(state.history.present, state.selectedId);
}

export function undoAvailable(state: EditorState): boolean {
  return canUndo(state.history);
}

export function redoAvailable(state: EditorState): boolean {
  return canRedo(state.history);
}

export function editorReducer(state: EditorState, action: EditorAction): EditorState {
  const boxes = state.history.present;
  switch (action.type) {
    case "add": {
      const id = `b${state.nextId}`;
      const label = action.label ?? state.activeLabel;
      const next = addBox(boxes, { id, label, ...action.rect }, state.image);
      if (next === boxes) return state;
      return { ...commit(state, next), selectedId: id, nextId: state.nextId + 1 };
    }
    case "setRect":
      return commit(state, setBoxRect(boxes, action.id, action.rect, state.image));
    case "moveTo":
      return commit(state, moveBoxTo(boxes, action.id, action.rect, state.image));
    case "nudge":
      if (!state.selectedId) return state;
      return commit(state, nudgeBox(boxes, state.selectedId, action.dx, action.dy, state.image));
    case "resizeBy":
      if (!state.selectedId) return state;
      return commit(state, resizeBoxBy(boxes, state.selectedId, action.dw, action.dh, state.image));
    case "delete": {
      const id = action.id ?? state.selectedId;
      if (!id) return state;
      const index = indexOfBox(boxes, id);
      const next = deleteBox(boxes, id);
      if (next === boxes) return state;
      // Keep a selection nearby so repeated Delete works through the list.
      const neighbour = next[Math.min(index, next.length - 1)];
      return { ...commit(state, next), selectedId: id === state.selectedId ? (neighbour?.id ?? null) : state.selectedId };
    }
    case "relabel":
      return commit(state, relabelBox(boxes, action.id, action.label));
    case "select":
      return { ...state, selectedId: action.id !== null && indexOfBox(boxes, action.id) >= 0 ? action.id : null };
    case "selectIndex": {
      const box = boxes[action.index];
      return box ? { ...state, selectedId: box.id } : state;
    }
    case "cycleSelection": {
      if (boxes.length === 0) return state;
      const index = indexOfBox(boxes, state.selectedId);
      const start = index < 0 ? (action.step > 0 ? -1 : 0) : index;
      const nextIndex = (start + action.step + boxes.length) % boxes.length;
      return { ...state, selectedId: boxes[nextIndex].id };
    }
    case "chooseLabel": {
      // The palette (or a 1-9 hotkey) sets the active label and relabels the selected box.
      const withLabel = { ...state, activeLabel: action.label };
      if (!state.selectedId) return withLabel;
      return commit(withLabel, relabelBox(boxes, state.selectedId, action.label));
    }
    case "undo":
      return keepSelectionValid({ ...state, history: undo(state.history) });
    case "redo":
      return keepSelectionValid({ ...state, history: redo(state.history) });
  }
}

function commit(state: EditorState, next: EditorBox[]): EditorState {
  if (next === state.history.present) return state;
  return { ...state, history: pushHistory(state.history, next) };
}

function keepSelectionValid(state: EditorState): EditorState {
  if (state.selectedId && indexOfBox(state.history.present, state.selectedId) < 0) {
    return { ...state, selectedId: null };
  }
  return state;
}
