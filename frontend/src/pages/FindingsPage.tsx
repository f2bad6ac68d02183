import { useState } from "react";
import { manager, projects } from "../api";
import type { FindingRate, Member } from "../api/types";
import { formatPct } from "../components/IntervalBar";
import { boxRefs } from "../editor/findings";
import { LINT_RULES } from "../manager/settingsForm";
import { useAsync } from "../useAsync";
import { ManagerPage } from "./ManagerPage";

/** The linter rules' codes (lintRules.json, generated from the rule registry). */
export const KNOWN_FINDING_CODES = LINT_RULES.map((r) => r.code);

/** The server's page size (annotation_qc/core/pagination.py PagePagination). */
const PAGE_SIZE = 50;

function annotators(members: Member[] | null): Member[] {
  return (members ?? []).filter((m) => m.role === "annotator");
}

/** Findings per submitted annotation, per annotator: overall and for each rule that fired. */
function FindingRates({ rates, names }: { rates: FindingRate[]; names: Map<number, string> }) {
  const codes = [...new Set(rates.flatMap((r) => Object.keys(r.by_code)))].sort();
  return (
    <section className="card rates-card" aria-labelledby="rates-title">
      <h2 id="rates-title">Finding rates by annotator</h2>
      <div className="table-wrap">
        <table className="compact" data-testid="finding-rates">
          <thead>
            <tr>
              <th scope="col">Annotator</th>
              <th scope="col">Annotations</th>
              <th scope="col">Findings</th>
              <th scope="col">Per annotation</th>
              {codes.map((c) => (
                <th scope="col" key={c}>
                  <code>{c}</code>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rates.map((r) => (
              <tr key={r.user_id} data-testid="finding-rate-row" data-user-id={r.user_id}>
                <th scope="row">{names.get(r.user_id) ?? `user ${r.user_id}`}</th>
                <td className="num">{r.annotations}</td>
                <td className="num">{r.findings}</td>
                <td className="num">{formatPct(r.lint_finding_rate, 1)}</td>
                {codes.map((c) => (
                  <td className="num" key={c}>
                    {c in r.by_code ? formatPct(r.by_code[c], 1) : "—"}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function FindingsPage({ projectId }: { projectId: number }) {
  const [code, setCode] = useState("");
  const [annotator, setAnnotator] = useState("");
  const [page, setPage] = useState(1);
  const findings = useAsync(
    () => manager.findings(projectId, { code, annotator, page }),
    [projectId, code, annotator, page],
  );
  const members = useAsync(() => projects.members(projectId), [projectId]);
  const rates = useAsync(() => manager.findingRates(projectId), [projectId]);
  const data = findings.data;
  const names = new Map((members.data ?? []).map((m) => [m.user_id, m.username]));

  return (
    <ManagerPage projectId={projectId} tab="findings">
      {() => (
        <section data-testid="findings-page">
          <h1>Linter findings</h1>
          {rates.data && rates.data.length > 0 && <FindingRates rates={rates.data} names={names} />}
          <h2>All findings</h2>
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
                {annotators(members.data).map((m) => (
                  <option key={m.user_id} value={String(m.user_id)}>
                    {m.username}
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
                <tr key={f.id} data-testid="finding-row" data-code={f.code} data-annotator={f.annotator}>
                  <td>{new Date(f.created_at).toLocaleString()}</td>
                  <td>{f.annotator}</td>
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
            <span>
              Page {page}
              {data && data.count > 0 && ` of ${Math.ceil(data.count / PAGE_SIZE)}`}
            </span>
            <button type="button" disabled={!data?.next} onClick={() => setPage((p) => p + 1)} data-testid="findings-next">
              Next
            </button>
          </div>
        </section>
      )}
    </ManagerPage>
  );
}
