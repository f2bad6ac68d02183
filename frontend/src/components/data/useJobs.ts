// The Data page's job-backed lists (exports, imports) and the jobs it starts: polling, refreshing, paging.
import { useCallback, useEffect, useRef, useState } from "react";
import { jobs } from "../../api";
import type { Job, Page } from "../../api/types";
import { useAsync } from "../../useAsync";
import type { JobPhase } from "../JobLine";

/** Rows per page of the exports and imports tables. */
export const LIST_PAGE = 25;
/** How often the tables refresh while a row is pending or running (a job started elsewhere, or by a reload). */
export const LIST_REFRESH_MS = 3000;
/** How often a job this page started is polled. */
export const JOB_POLL_MS = 1000;

/** How often a started job is polled and a list with unfinished rows refreshes (tests make them short). */
export interface Timing {
  jobPollMs: number;
  listRefreshMs: number;
}

export const TIMING: Timing = { jobPollMs: JOB_POLL_MS, listRefreshMs: LIST_REFRESH_MS };

export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === "AbortError";
}

/** Refreshes a list while any of its rows is still pending or running. */
function useRefreshWhile(busy: boolean, reload: () => void, data: unknown, ms: number) {
  useEffect(() => {
    if (!busy) return;
    const timer = setTimeout(reload, ms);
    return () => clearTimeout(timer);
  }, [busy, reload, data, ms]);
}

/** The signal of an AbortController aborted when the component unmounts: stops polling a job nobody looks at. */
function useUnmountSignal(): () => AbortSignal {
  const controller = useRef<AbortController | null>(null);
  useEffect(() => {
    const current = new AbortController();
    controller.current = current;
    return () => {
      current.abort(new DOMException("Left the page", "AbortError"));
      controller.current = null;
    };
  }, []);
  return useCallback(() => (controller.current ??= new AbortController()).signal, []);
}

/**
 * A page (`LIST_PAGE` rows from `offset`) of a project's exports or imports, refreshed every `refreshMs` while a
 * row is pending or running, and the row whose details are open.
 */
export function useJobList<T extends { id: number; status: string }>(
  projectId: number,
  load: (page: { limit: number; offset: number }) => Promise<Page<T>>,
  refreshMs: number,
) {
  const [offset, setOffset] = useState(0);
  const [selected, setSelected] = useState<number | null>(null);
  const list = useAsync(() => load({ limit: LIST_PAGE, offset }), [projectId, offset]);
  const busyRows = (list.data?.results ?? []).some((r) => r.status === "pending" || r.status === "running");
  useRefreshWhile(busyRows, list.reload, list.data, refreshMs);
  /** Opens a row's details, or closes them when they are open. */
  const toggle = (id: number) => setSelected(selected === id ? null : id);
  return { list, offset, setOffset, selected, setSelected, toggle };
}

/** A job this page starts: its phase for the JobLine, and `follow`, which polls it until it finishes. */
export function useJobRun(pollMs: number) {
  const [phase, setPhase] = useState<JobPhase>({ step: "idle" });
  const unmountSignal = useUnmountSignal();
  /** Polls the job of record `id` (an export's, an import's) until it finishes; rejects with an AbortError if the page is left. */
  const follow = async (id: number, jobId: number): Promise<Job> => {
    setPhase({ step: "running", id, job: null });
    const job = await jobs.wait(jobId, {
      intervalMs: pollMs,
      signal: unmountSignal(),
      onProgress: (j) => setPhase({ step: "running", id, job: j }),
    });
    setPhase({ step: "finished", id, job });
    return job;
  };
  const running = phase.step === "uploading" || phase.step === "starting" || phase.step === "running";
  return { phase, setPhase, follow, running };
}
