// One answer drawn over its image, with its linter findings (from the findings list).
import { projects } from "../api";
import { isBboxPayload, isClassificationPayload } from "../api/types";
import { AnnotationOverlay } from "../components/AnnotationOverlay";
import { formatTime } from "../manager/format";
import { Link } from "../router";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

export function AnnotationPage({ projectId, annotationId }: { projectId: number; annotationId: number }) {
  const view = useAsync(() => projects.annotation(projectId, annotationId), [projectId, annotationId]);
  const a = view.data;
  return (
    <ManagerPage projectId={projectId} tab="findings">
      {() => (
        <div data-testid="annotation-page" data-annotation-id={annotationId}>
          <p>
            <Link href={`/projects/${projectId}/findings`}>Back to the findings</Link>
          </p>
          {view.error && (
            <p className="error" role="alert">
              {view.error}
            </p>
          )}
          {a && (
            <>
              <h1>
                Task {a.task_id} by {a.annotator}
              </h1>
              <p className="muted">Submitted {formatTime(a.submitted_at)}</p>
              {isClassificationPayload(a.payload) && (
                <p data-testid="annotation-label">
                  Label: <strong>{a.payload.label}</strong>
                </p>
              )}
              <AnnotationOverlay
                item={a.item}
                maxWidth={900}
                layers={[{ key: "submitted", name: "Answer", payload: a.payload, color: "#1f5fbf", width: 2 }]}
              />
              <h2>Findings</h2>
              {a.findings.length === 0 ? (
                <p className="muted">None.</p>
              ) : (
                <ul data-testid="annotation-findings">
                  {a.findings.map((f, i) => (
                    <li key={i} data-code={f.code}>
                      <span className={f.severity === "error" ? "error-text" : "warn-text"}>{f.severity}</span>{" "}
                      <code>{f.code}</code>: {f.message}
                      {isBboxPayload(a.payload) && f.boxes.length > 0 && (
                        <span className="muted"> (box {f.boxes.map((b) => b + 1).join(", ")})</span>
                      )}
                    </li>
                  ))}
                </ul>
              )}
            </>
          )}
        </div>
      )}
    </ManagerPage>
  );
}
