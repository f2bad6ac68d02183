import type { Finding } from "../api/types";
import { ErrorNote } from "./Layout";

/** Submit and skip, with the reason when submitting is blocked. */
export function SubmitBar({
  blocking,
  disabledReason,
  busy,
  error,
  onSubmit,
  onSkip,
}: {
  blocking: Finding[];
  disabledReason?: string | null;
  busy: boolean;
  error: string | null;
  onSubmit: () => void;
  /** None: nothing to skip (a rework). */
  onSkip?: () => void;
}) {
  const reason =
    disabledReason ??
    (blocking.length > 0 ? `Fix ${blocking.length === 1 ? "this error" : "these errors"} first: ${blocking.map((f) => f.message).join(" ")}` : null);
  return (
    <section className="panel submit-bar" aria-label="Submit">
      {reason && (
        <p className="blocked" role="status" data-testid="submit-blocked-reason">
          {reason}
        </p>
      )}
      <ErrorNote error={error} testId="submit-error" />
      <div className="actions">
        {onSkip && <button
          type="button"
          onClick={onSkip}
          disabled={busy}
          data-testid="skip-button"
          aria-keyshortcuts="S"
          aria-haspopup="dialog"
          title="Skip this task (S): you will be asked for a reason"
        >
          Skip…
        </button>}
        <button
          type="button"
          className="primary"
          onClick={onSubmit}
          disabled={busy || !!reason}
          data-testid="submit-button"
          aria-keyshortcuts="Enter"
          title={reason ?? "Submit your answer and load the next task (Enter)"}
        >
          {busy ? "Submitting…" : "Submit"} <kbd>Enter</kbd>
        </button>
      </div>
    </section>
  );
}
