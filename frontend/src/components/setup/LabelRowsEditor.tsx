import type { LabelRow } from "../../manager/labelRows";
import { newRow } from "../../manager/labelRows";
import { FieldErrorList } from "../FormField";

/** The label table of the project forms: name, colour, hotkey, retired; add a row; remove a row not yet saved. */
export function LabelRowsEditor({
  rows,
  onChange,
  errors,
  onRename,
}: {
  rows: LabelRow[];
  onChange: (rows: LabelRow[]) => void;
  errors: Record<string, string[]>;
  /** For saved labels: rename through the server (only while no answer uses the label). */
  onRename?: (row: LabelRow) => void;
}) {
  const set = (i: number, patch: Partial<LabelRow>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset className="label-rows" data-testid="label-rows">
      <legend>Labels</legend>
      <p className="muted small" id="labels-hint">
        Each label has a colour and, if you like, its own key (a letter or digit; h, s, f and n are taken by the
        workspace). Labels without a key get 1–9 then 0 in order; a label named by a single digit gets that digit.
        A label in use cannot be deleted: retire it and it is no longer offered, while old answers keep it.
      </p>
      <FieldErrorList id="labels-errors" messages={errors.labels ?? errors.label_config} testId="setup-error-labels" />
      <table className="compact">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Colour</th>
            <th scope="col">Key</th>
            <th scope="col">Retired</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => {
            const name = row.name.trim();
            const keyErrors = errors[`label_config.${name}.hotkey`];
            const colourErrors = errors[`label_config.${name}.colour`];
            return (
              <tr key={i} data-testid="label-row" data-label={name} data-retired={row.retired}>
                <td>
                  <input
                    value={row.name}
                    aria-label={`Label ${i + 1} name`}
                    disabled={row.saved}
                    title={row.saved ? "Rename with the Rename button" : "The label's name"}
                    data-testid="label-row-name"
                    onChange={(e) => set(i, { name: e.target.value })}
                  />
                </td>
                <td>
                  <input
                    type="color"
                    value={row.colour}
                    aria-label={`Colour of ${name || `label ${i + 1}`}`}
                    title="The colour of this label's boxes and button"
                    data-testid="label-row-colour"
                    onChange={(e) => set(i, { colour: e.target.value })}
                  />
                  <FieldErrorList id={`colour-err-${i}`} messages={colourErrors} testId="label-row-colour-error" />
                </td>
                <td>
                  <input
                    value={row.hotkey}
                    maxLength={1}
                    size={2}
                    aria-label={`Key for ${name || `label ${i + 1}`}`}
                    aria-invalid={keyErrors ? true : undefined}
                    aria-describedby={keyErrors ? `key-err-${i}` : undefined}
                    title="One letter or digit; empty for the default"
                    data-testid="label-row-hotkey"
                    onChange={(e) => set(i, { hotkey: e.target.value.toLowerCase() })}
                  />
                  <FieldErrorList id={`key-err-${i}`} messages={keyErrors} testId="label-row-hotkey-error" />
                </td>
                <td>
                  <input
                    type="checkbox"
                    checked={row.retired}
                    aria-label={`Retire ${name || `label ${i + 1}`}`}
                    title="A retired label is no longer offered to annotators; old answers keep it"
                    data-testid="label-row-retired"
                    onChange={(e) => set(i, { retired: e.target.checked })}
                  />
                </td>
                <td>
                  {row.saved ? (
                    onRename && (
                      <button type="button" onClick={() => onRename(row)} data-testid="label-row-rename"
                        title="Rename this label (only while no answer uses it)">
                        Rename…
                      </button>
                    )
                  ) : (
                    <button
                      type="button"
                      onClick={() => onChange(rows.filter((_, j) => j !== i))}
                      data-testid="label-row-remove"
                      title="Remove this new label"
                      aria-label={`Remove ${name || `label ${i + 1}`}`}
                    >
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <button type="button" onClick={() => onChange([...rows, newRow(rows.length)])} data-testid="label-add"
        title="Add a label">
        Add a label
      </button>
    </fieldset>
  );
}
