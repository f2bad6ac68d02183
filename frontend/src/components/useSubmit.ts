import { useState } from "react";
import { ApiError, errorMessage, tasks } from "../api";
import type { Finding, Payload, SubmitResult } from "../api/types";

/** How a task ended: submitted, skipped, or already closed elsewhere (409). */
export type DoneHow = "submitted" | "skipped" | "closed";

export interface SubmitControls {
  busy: boolean;
  error: string | null;
  submit: (payload: Payload) => Promise<void>;
  skip: (reason: string) => Promise<boolean>;
}

/**
 * Submit and skip for one task. `onDone` loads the next task. A 400 with findings reports them through
 * `onRejected`; a 409 (already submitted) moves on as well.
 */
export function useSubmit(
  taskId: string,
  startedAt: number,
  onDone: (result: SubmitResult | null, how: DoneHow) => void,
  onRejected: (findings: Finding[]) => void,
  /** Sends the answer another way (changing an earlier answer) instead of submitting the task. */
  send: (taskId: string, payload: Payload, timeSpentMs: number) => Promise<SubmitResult> = tasks.submit,
): SubmitControls {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (payload: Payload) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      const result = await send(taskId, payload, performance.now() - startedAt);
      onDone(result, "submitted");
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 400 && err.body.findings) {
        onRejected(err.body.findings);
        setError(err.message);
      } else if (err instanceof ApiError && err.status === 409) {
        onDone(null, "closed");
      } else {
        setError(errorMessage(err));
      }
    }
  };

  const skip = async (reason: string) => {
    setBusy(true);
    setError(null);
    try {
      await tasks.skip(taskId, reason);
      onDone(null, "skipped");
      return true;
    } catch (err) {
      setBusy(false);
      setError(errorMessage(err));
      return false;
    }
  };

  return { busy, error, submit, skip };
}
