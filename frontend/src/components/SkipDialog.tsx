import { useId, useRef, useState, type FormEvent } from "react";
import { useModalFocus } from "./useModalFocus";

const PRESETS = ["Image unclear or corrupt", "Not applicable to this project", "Unsure how to label"];

/**
 * Asks for the reason for skipping a task: a modal dialog that takes the focus (the reason field), keeps Tab and
 * Shift+Tab inside, closes on Escape and gives the focus back to what opened it.
 */
export function SkipDialog({
  busy,
  error,
  onConfirm,
  onCancel,
}: {
  busy: boolean;
  error: string | null;
  onConfirm: (reason: string) => void;
  onCancel: () => void;
}) {
  const [reason, setReason] = useState("");
  const textRef = useRef<HTMLTextAreaElement>(null);
  const titleId = useId();
  const hintId = useId();
  const modal = useModalFocus<HTMLFormElement>(onCancel, () => textRef.current);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (reason.trim()) onConfirm(reason.trim());
  };
  return (
    <div className="modal-backdrop" onKeyDown={modal.onKeyDown}>
      <form
        ref={modal.ref}
        className="card modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={hintId}
        tabIndex={-1}
        onSubmit={submit}
        data-testid="skip-dialog"
      >
        <h2 id={titleId}>Skip this task</h2>
        <p id={hintId} className="muted small">
          Say why you are not labeling it. Esc or Cancel keeps the task.
        </p>
        <div className="chips">
          {PRESETS.map((p) => (
            <button key={p} type="button" onClick={() => setReason(p)}>
              {p}
            </button>
          ))}
        </div>
        <label>
          Reason
          <textarea
            ref={textRef}
            rows={3}
            required
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            data-testid="skip-reason"
          />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="button" onClick={onCancel} data-testid="skip-cancel">
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || !reason.trim()} data-testid="skip-confirm">
            Skip task
          </button>
        </div>
      </form>
    </div>
  );
}
