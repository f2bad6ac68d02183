import { useState } from "react";
import { manager } from "../api";
import { boxRefs } from "../editor/findings";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

/** The linter rules of issue 3; the filter also accepts any other code the server reports. */
export const KNOWN_FINDING_CODES = [
  "duplicate_box",
  "oversized_box",
  "undersized_box",
  "degenerate_box",
  "box_out_of_bounds",
  "conflicting_labels",
  "too_many_boxes",
  "unknown_label",
  "too_fast",
];

export function FindingsPage({ projectId }: { projectId: number }) {
  const [code, setCode] = useState("");
  const [annotator, setAnnotator] = useState("");
  const [page, setPage] = useState(1);
  const findings = useAsync(
    () => manager.findings(projectId, { code, annotator, page }),
    [projectId, code, annotator, page],
  );
  const cards = useAsync(() => manager.scorecards(projectId), [projectId]);
  const data = findings.data;

  return (
    <ManagerPage projectId={projectId} tab="findings">
      {() => (
        <section data-testid="findings-page">
          <h1>Linter findings</h1>
          <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
            <label>
              Code
              <select
                value={code}
                onChange={(e) => {
                  setCode(e.target.value);
                  setPage(1);
                }}
                data-testid="findings-filter-code"
              >
                <option value="">any</option>
                {KNOWN_FINDING_CODES.map((c) => (
                  <option key={c} value={c}>
                    {c}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Annotator
              <select
                value={annotator}
                onChange={(e) => {
                  setAnnotator(e.target.value);
                  setPage(1);
                }}
                data-testid="findings-filter-annotator"
              >
                <option value="">any</option>
                {cards.data?.map((c) => (
                  <option key={c.user_id} value={c.username}>
                    {c.username}
                  </option>
                ))}
              </select>
            </label>
            {data && (
              <span className="muted" data-testid="findings-count">
                {data.count} finding{data.count === 1 ? "" : "s"}
              </span>
            )}
          </form>
          {findings.error && (
            <p className="error" role="alert">
              {findings.error}
            </p>
          )}
          <table className="findings-table" data-testid="findings-list">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Annotator</th>
                <th scope="col">Code</th>
                <th scope="col">Severity</th>
                <th scope="col">Message</th>
                <th scope="col">Boxes</th>
                <th scope="col">Task / item</th>
              </tr>
            </thead>
            <tbody>
              {data?.results.map((f) => (
                <tr key={f.id} data-testid="finding-row" data-code={f.code} data-annotator={String(f.annotator)}>
                  <td>{new Date(f.created_at).toLocaleString()}</td>
                  <td>{String(f.annotator)}</td>
                  <td>
                    <code>{f.code}</code>
                  </td>
                  <td className={f.severity === "error" ? "error-text" : "warn-text"}>{f.severity}</td>
                  <td>{f.message}</td>
                  <td>{boxRefs(f.boxes)}</td>
                  <td>
                    {f.task_id} / {f.item_id}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {data && data.results.length === 0 && <p className="muted">No findings match.</p>}
          <div className="pager">
            <button type="button" disabled={!data?.previous || page <= 1} onClick={() => setPage((p) => p - 1)}
              data-testid="findings-prev">
              Previous
            </button>
            <span>Page {page}</span>
            <button type="button" disabled={!data?.next} onClick={() => setPage((p) => p + 1)} data-testid="findings-next">
              Next
            </button>
          </div>
        </section>
      )}
    </ManagerPage>
  );
}
