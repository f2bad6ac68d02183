// A background job's state in words with a meter, for a job the page started (an export, an import).
import type { Job } from "../api/types";
import { formatBytes } from "../manager/format";

export type JobPhase =
  | { step: "idle" }
  | { step: "uploading"; bytes: number }
  | { step: "starting" }
  | { step: "running"; id: number; job: Job | null }
  | { step: "finished"; id: number; job: Job };

/** "Import #4: 40% (2 of 5)…" with a progress bar until it finishes; nothing while idle. */
export function JobLine({ phase, noun, testId }: { phase: JobPhase; noun: string; testId: string }) {
  if (phase.step === "idle") return null;
  let text: string;
  let status: string;
  let progress: number | null = null;
  if (phase.step === "uploading") {
    text = `Uploading ${formatBytes(phase.bytes)}…`;
    status = "uploading";
  } else if (phase.step === "starting") {
    text = "Starting…";
    status = "starting";
  } else {
    const job = phase.job;
    status = job?.status ?? "pending";
    progress = job?.progress ?? 0;
    const counts = job?.total ? ` (${job.done ?? 0} of ${job.total})` : "";
    if (phase.step === "running") {
      text =
        status === "pending"
          ? `${noun} #${phase.id} is queued…`
          : `${noun} #${phase.id}: ${Math.round(progress * 100)}%${counts}…`;
    } else if (status === "succeeded") {
      text = `${noun} #${phase.id} finished${job?.message ? `: ${job.message}` : "."}`;
    } else if (status === "failed") {
      text = `${noun} #${phase.id} failed${job?.message ? `: ${job.message}` : "."}`;
    } else {
      text = `${noun} #${phase.id} is still ${status}; the table below updates when it finishes.`;
    }
  }
  const finished = phase.step === "finished";
  return (
    <div className={`job-line ${status}`} role="status" data-testid={testId} data-status={status}
      data-progress={progress ?? undefined}>
      <span>{text}</span>
      {!finished && progress !== null && (
        <div className="meter" role="progressbar" aria-label={`${noun} progress`} aria-valuemin={0} aria-valuemax={100}
          aria-valuenow={Math.round(progress * 100)}>
          <div className="meter-fill" style={{ width: `${progress * 100}%` }} />
        </div>
      )}
    </div>
  );
}
