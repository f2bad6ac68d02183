import { useEffect, useRef, useState, type FormEvent } from "react";

const PRESETS = ["Image unclear or corrupt", "Not applicable to this project", "Unsure how to label"];

/** Asks for the reason for skipping a task. */
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
  useEffect(() => {
    textRef.current?.focus();
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (reason.trim()) onConfirm(reason.trim());
  };
  return (
    <div className="modal-backdrop" onKeyDown={(e) => e.key === "Escape" && onCancel()}>
      <form
        className="card modal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="skip-title"
        onSubmit={submit}
        data-testid="skip-dialog"
      >
        <h2 id="skip-title">Skip this task</h2>
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
