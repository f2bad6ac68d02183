import { useEffect, useState } from "react";
import { ApiError, errorMessage, tasks } from "../api";
import type { Finding, Payload } from "../api/types";

export const LINT_DEBOUNCE_MS = 300;

export interface LiveLint {
  findings: Finding[];
  /** True while the findings shown are not yet those of the current draft. */
  checking: boolean;
  /** True when `findings` were computed for exactly the current draft. */
  fresh: boolean;
  error: string | null;
  /** Record findings returned by submit for the current draft (a 400 with findings). */
  setServerFindings: (findings: Finding[]) => void;
}

/** Posts the draft to the lint endpoint, debounced, and keeps the latest findings. */
export function useLiveLint(
  taskId: number,
  payload: Payload | null,
  startedAt: number,
  delayMs = LINT_DEBOUNCE_MS,
): LiveLint {
  const key = payload === null ? null : JSON.stringify(payload);
  const [findings, setFindings] = useState<Finding[]>([]);
  const [lintedKey, setLintedKey] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (key === null) {
      setFindings([]);
      setLintedKey(null);
      return;
    }
    const controller = new AbortController();
    const timer = window.setTimeout(() => {
      const draft = JSON.parse(key) as Payload;
      tasks.lint(taskId, draft, performance.now() - startedAt, controller.signal).then(
        (result) => {
          if (controller.signal.aborted) return;
          setFindings(result.findings ?? []);
          setLintedKey(key);
          setError(null);
        },
        (err: unknown) => {
          if (controller.signal.aborted) return;
          if (err instanceof ApiError && err.status === 400 && err.body.findings) {
            setFindings(err.body.findings);
            setLintedKey(key);
            setError(null);
          } else if (!(err instanceof DOMException && err.name === "AbortError")) {
            setError(errorMessage(err));
          }
        },
      );
    }, delayMs);
    return () => {
      window.clearTimeout(timer);
      controller.abort();
    };
  }, [taskId, key, startedAt, delayMs]);

  const fresh = key !== null && lintedKey === key;
  return {
    findings: key === null ? [] : findings,
    checking: key !== null && !fresh && !error,
    fresh,
    error,
    setServerFindings: (f: Finding[]) => {
      setFindings(f);
      setLintedKey(key);
    },
  };
}
