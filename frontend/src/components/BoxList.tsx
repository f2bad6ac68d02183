import type { Severity } from "../api/types";
import type { EditorBox } from "../editor/boxes";
import { labelColor, SEVERITY_COLOR } from "../editor/labels";

export interface BoxListProps {
  boxes: EditorBox[];
  labels: string[];
  selectedId: string | null;
  highlights: Map<number, Severity>;
  onSelect: (id: string) => void;
  onRelabel: (id: string, label: string) => void;
  onDelete: (id: string) => void;
  colours?: Record<string, string>;
}

/** The boxes beside the canvas, numbered from 1 as in the findings' messages. */
export function BoxList({ boxes, labels, selectedId, highlights, onSelect, onRelabel, onDelete, colours }: BoxListProps) {
  return (
    <section className="panel box-list" aria-label="Boxes" data-testid="box-list">
      <h2>
        Boxes <span className="muted">({boxes.length})</span>
      </h2>
      {boxes.length === 0 && <p className="muted">No boxes yet: drag on the image to draw one.</p>}
      <ol>
        {boxes.map((box, index) => {
          const selected = box.id === selectedId;
          const severity = highlights.get(index);
          const knownLabel = labels.includes(box.label);
          return (
            <li
              key={box.id}
              className={selected ? "box-row selected" : "box-row"}
              data-testid="box-row"
              data-index={index + 1}
              data-label={box.label}
              data-selected={selected}
              data-severity={severity ?? ""}
              data-x={Math.round(box.x)}
              data-y={Math.round(box.y)}
              data-w={Math.round(box.w)}
              data-h={Math.round(box.h)}
            >
              <button
                type="button"
                className="box-row-main"
                aria-pressed={selected}
                onClick={() => onSelect(box.id)}
                data-testid="box-row-select"
                title={`Select box ${index + 1}`}
              >
                <span className="box-index">{index + 1}</span>
                <span className="swatch" style={{ background: labelColor(box.label, labels, colours) }} aria-hidden />
                <span className="box-label">{box.label}</span>
                {severity && (
                  <span className="severity-dot" style={{ background: SEVERITY_COLOR[severity] }} title={severity}>
                    <span className="sr-only">{severity}</span>
                  </span>
                )}
                <span className="box-size muted">
                  {Math.round(box.w)}×{Math.round(box.h)}
                </span>
              </button>
              {selected && (
                <span className="box-row-tools">
                  <select
                    aria-label={`Label of box ${index + 1}`}
                    value={box.label}
                    onChange={(e) => onRelabel(box.id, e.target.value)}
                    data-testid="box-row-label"
                    title="Change this box's label"
                  >
                    {!knownLabel && <option value={box.label}>{box.label} (unknown)</option>}
                    {labels.map((l) => (
                      <option key={l} value={l}>
                        {l}
                      </option>
                    ))}
                  </select>
                  <button
                    type="button"
                    aria-label={`Delete box ${index + 1}`}
                    onClick={() => onDelete(box.id)}
                    data-testid="box-row-delete"
                    title="Delete this box (Delete key)"
                  >
                    Delete
                  </button>
                </span>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
