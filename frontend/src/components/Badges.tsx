// Small coloured labels: an alert's or rule's severity, a job-backed record's status.
import type { AlertSeverity } from "../api/types";

export function SeverityBadge({ severity }: { severity: AlertSeverity }) {
  return <span className={`severity-badge ${severity}`}>{severity}</span>;
}

/** An export's or import's status (pending, running, ready, imported, rejected, failed). */
export function JobStatusBadge({ status, testId }: { status: string; testId: string }) {
  return (
    <span className={`job-badge ${status}`} data-testid={testId}>
      {status}
    </span>
  );
}
