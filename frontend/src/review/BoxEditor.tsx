// A compact box editor for review fixes and rework, on the labeling workspace's own BoxCanvas and editor reducer:
// draw, move, resize, relabel (the active label applies to new boxes and to the selected one), delete, undo.
// Boxes that carry a reviewer's comment are highlighted.
import { useEffect, useMemo, useReducer, useState } from "react";
import type { BboxPayload, Item, PayloadBox, TaskItem } from "../api/types";
import { BoxCanvas } from "../components/BoxCanvas";
import { createEditorState, currentBoxes, editorPayload, editorReducer, undoAvailable } from "../editor/editorState";
import type { Size } from "../editor/geometry";
import { fitView, IDENTITY_VIEW, type View } from "../editor/viewTransform";

export function BoxEditor({
  item,
  labels,
  initial,
  commented,
  onChange,
}: {
  item: Item | TaskItem;
  labels: string[];
  initial: PayloadBox[];
  /** Indexes (into `initial`) of the boxes a comment is pinned on. */
  commented: number[];
  onChange: (payload: BboxPayload) => void;
}) {
  const image = useMemo(() => ({ width: item.width, height: item.height }), [item]);
  const [state, dispatch] = useReducer(editorReducer, undefined, () => createEditorState(image, labels, initial));
  const [view, setView] = useState<View>(IDENTITY_VIEW);
  const [stageSize, setStageSize] = useState<Size | null>(null);
  const [fitted, setFitted] = useState(false);
  const boxes = currentBoxes(state);
  const payload = useMemo(() => editorPayload(state), [state]);
  const highlights = useMemo(() => new Map(commented.map((i) => [i, "warning" as const])), [commented]);

  useEffect(() => onChange(payload), [payload, onChange]);
  useEffect(() => {
    if (stageSize && !fitted) {
      setView(fitView(image, stageSize));
      setFitted(true);
    }
  }, [stageSize, fitted, image]);

  const selected = boxes.find((b) => b.id === state.selectedId);
  return (
    <div className="box-editor" data-testid="box-editor">
      <div className="toolbar" role="toolbar" aria-label="Edit boxes">
        <label>
          Label{" "}
          <select
            value={selected?.label ?? state.activeLabel}
            onChange={(e) =>
              selected
                ? dispatch({ type: "relabel", id: selected.id, label: e.target.value })
                : dispatch({ type: "chooseLabel", label: e.target.value })
            }
            data-testid="box-editor-label"
          >
            {labels.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        <button type="button" onClick={() => dispatch({ type: "delete" })} disabled={!state.selectedId}>
          Delete box
        </button>
        <button type="button" onClick={() => dispatch({ type: "undo" })} disabled={!undoAvailable(state)}>
          Undo
        </button>
        <span className="muted small">Drag on the image to draw a box; drag a box to move it.</span>
      </div>
      <div style={{ height: 420, display: "flex", flexDirection: "column" }}>
        <BoxCanvas
          imageUrl={item.image_url}
          image={image}
          boxes={boxes}
          labels={labels}
          activeLabel={state.activeLabel}
          selectedId={state.selectedId}
          highlights={highlights}
          view={view}
          onViewChange={setView}
          onStageSize={setStageSize}
          onSelect={(id) => dispatch({ type: "select", id })}
          onDraw={(rect) => dispatch({ type: "add", rect })}
          onMove={(id, rect) => dispatch({ type: "moveTo", id, rect })}
          onResize={(id, rect) => dispatch({ type: "setRect", id, rect })}
        />
      </div>
    </div>
  );
}
