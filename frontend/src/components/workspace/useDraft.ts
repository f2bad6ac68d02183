import { useEffect, useRef, useState } from "react";
import { ApiError, errorMessage, tasks } from "../../api";
import type { Payload, Task } from "../../api/types";

export const DRAFT_DEBOUNCE_MS = 1200;

export type DraftState =
  | { state: "idle" }
  | { state: "saving" }
  | { state: "saved"; at: Date }
  /** Not saved to the server: the work stays on screen and in this browser (localStorage). */
  | { state: "refused"; message: string }
  | { state: "error"; message: string };

export function localDraftKey(taskId: Task["id"]): string {
  return `aqc:draft:${taskId}`;
}

/**
 * Saves the work in progress to the server, debounced, with the time spent so far. When the server refuses
 * (the lease expired, the task closed), says so and keeps the work in this browser: it is never dropped silently.
 */
export function useDraft(
  taskId: Task["id"],
  payload: Payload | null,
  startedAt: number,
  delayMs = DRAFT_DEBOUNCE_MS,
  enabled = true,
): DraftState {
  const key = payload === null ? null : JSON.stringify(payload);
  const first = useRef(key);
  const [status, setStatus] = useState<DraftState>({ state: "idle" });

  useEffect(() => {
    // Nothing changed since the task (or its restored draft) was opened: nothing to save.
    if (!enabled || key === null || key === first.current) return;
    const timer = window.setTimeout(() => {
      setStatus({ state: "saving" });
      const draft = JSON.parse(key) as Payload;
      tasks.saveDraft(taskId, draft, performance.now() - startedAt).then(
        () => setStatus({ state: "saved", at: new Date() }),
        (err: unknown) => {
          if (err instanceof ApiError && err.status === 409) {
            try {
              window.localStorage.setItem(localDraftKey(taskId), key);
            } catch {
              // Storage full or disabled: the work is still on screen.
            }
            setStatus({ state: "refused", message: err.message });
          } else {
            setStatus({ state: "error", message: `Draft not saved: ${errorMessage(err)}` });
          }
        },
      );
    }, delayMs);
    return () => window.clearTimeout(timer);
  }, [taskId, key, startedAt, delayMs, enabled]);

  return status;
}
