import { useState } from "react";
import type { LabelDetail } from "../api/types";
import { isAssignableKey } from "../editor/labels";

/** One button per active label, with its hotkey and colour; retired labels are not offered. */
export function LabelPalette({
  labels,
  active,
  onChoose,
  title = "Labels",
  onRemap,
  buttonTestId = "label-button",
}: {
  labels: LabelDetail[];
  active: string | null;
  onChoose: (label: string) => void;
  title?: string;
  /** Saves the user's own keys `{label: key or null}`; without it the keys cannot be changed. */
  onRemap?: (keys: Record<string, string | null>) => Promise<void>;
  buttonTestId?: string;
}) {
  const [editing, setEditing] = useState(false);
  const shown = labels.filter((l) => !l.retired);
  return (
    <section className="panel label-palette" aria-label={title} data-testid="label-palette">
      <h2>{title}</h2>
      <div className="label-buttons">
        {shown.map((label) => (
          <button
            key={label.name}
            type="button"
            className={label.name === active ? "label-button active" : "label-button"}
            aria-pressed={label.name === active}
            aria-keyshortcuts={label.hotkey ?? undefined}
            title={label.hotkey ? `Label "${label.name}" (key ${label.hotkey})` : `Label "${label.name}"`}
            data-testid={buttonTestId}
            data-label={label.name}
            data-hotkey={label.hotkey ?? ""}
            onClick={() => onChoose(label.name)}
          >
            <span className="swatch" style={{ background: label.colour }} aria-hidden />
            {label.hotkey && <kbd>{label.hotkey}</kbd>}
            <span className="label-name">{label.name}</span>
          </button>
        ))}
      </div>
      {onRemap &&
        (editing ? (
          <HotkeyEditor labels={shown} onCancel={() => setEditing(false)} onSave={async (keys) => {
            await onRemap(keys);
            setEditing(false);
          }} />
        ) : (
          <button
            type="button"
            className="link"
            onClick={() => setEditing(true)}
            data-testid="hotkeys-edit"
            title="Choose your own key for each label (saved for you, in this project)"
          >
            Change label keys
          </button>
        ))}
    </section>
  );
}

function HotkeyEditor({
  labels,
  onSave,
  onCancel,
}: {
  labels: LabelDetail[];
  onSave: (keys: Record<string, string | null>) => Promise<void>;
  onCancel: () => void;
}) {
  const [keys, setKeys] = useState<Record<string, string>>(() =>
    Object.fromEntries(labels.map((l) => [l.name, l.hotkey ?? ""])),
  );
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async () => {
    const values = Object.values(keys).filter(Boolean);
    const bad = values.find((k) => !isAssignableKey(k));
    if (bad) return setError(`"${bad}" cannot be a label key: use a letter or digit other than h, s, f or n.`);
    const twice = values.find((k, i) => values.indexOf(k) !== i);
    if (twice) return setError(`"${twice}" is used for two labels.`);
    setBusy(true);
    try {
      await onSave(Object.fromEntries(Object.entries(keys).map(([label, key]) => [label, key || null])));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <form
      className="hotkey-editor"
      data-testid="hotkeys-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      {labels.map((l) => (
        <label key={l.name} className="hotkey-row">
          <span>{l.name}</span>
          <input
            value={keys[l.name]}
            maxLength={1}
            size={2}
            aria-label={`Key for ${l.name}`}
            data-testid="hotkey-input"
            data-label={l.name}
            onChange={(e) => setKeys({ ...keys, [l.name]: e.target.value.toLowerCase() })}
          />
        </label>
      ))}
      {error && (
        <p className="error-text" role="alert" data-testid="hotkeys-error">
          {error}
        </p>
      )}
      <div className="actions">
        <button type="button" onClick={onCancel} title="Keep the keys as they were">
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy} data-testid="hotkeys-save" title="Save your keys">
          Save keys
        </button>
      </div>
    </form>
  );
}
