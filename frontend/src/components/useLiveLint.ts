import { useEffect, useState } from "react";
import { ApiError, errorMessage, tasks } from "../api";
import type { Finding, Payload } from "../api/types";

export const LINT_DEBOUNCE_MS = 300;

/** Findings about the time spent belong to the submission, never to a draft being worked on. */
export const TIMING_CODES = new Set(["too_fast"]);

function withoutTiming(findings: Finding[]): Finding[] {
  return findings.filter((f) => !TIMING_CODES.has(f.code));
}

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
  taskId: string,
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
      // No time is sent: the "too fast" check speaks only when the answer is submitted, not while working.
      tasks.lint(taskId, draft, undefined, controller.signal).then(
        (result) => {
          if (controller.signal.aborted) return;
          setFindings(withoutTiming(result.findings ?? []));
          setLintedKey(key);
          setError(null);
        },
        (err: unknown) => {
          if (controller.signal.aborted) return;
          if (err instanceof ApiError && err.status === 400 && err.body.findings) {
            setFindings(withoutTiming(err.body.findings));
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
