import type { DraftState } from "./useDraft";

export function DraftStatus({ status }: { status: DraftState }) {
  const text =
    status.state === "saving"
      ? "Saving draft…"
      : status.state === "saved"
        ? "Draft saved"
        : status.state === "idle"
          ? ""
          : status.message;
  const alert = status.state === "refused" || status.state === "error";
  return (
    <p
      className={alert ? "draft-status error-text" : "draft-status muted"}
      role={alert ? "alert" : "status"}
      data-testid="draft-status"
      data-state={status.state}
      title="Your work is saved to the server as you go, and comes back after a reload or on another device"
    >
      {text}
    </p>
  );
}
