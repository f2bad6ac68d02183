import { useState } from "react";
import { manager, projects } from "../api";
import type { FindingRate, Member } from "../api/types";
import { TableHead, type Column } from "../components/DataTable";
import { formatPct } from "../components/IntervalBar";
import { PageNumberPager } from "../components/Pager";
import { boxRefs } from "../editor/findings";
import { formatTime } from "../manager/format";
import { LINT_RULES } from "../manager/settingsForm";
import { useAsync } from "../useAsync";
import { Link } from "../router";
import { ManagerPage } from "./ManagerPage";

/** The linter rules' codes (lintRules.json, generated from the rule registry). */
export const KNOWN_FINDING_CODES = LINT_RULES.map((r) => r.code);

const FINDING_COLUMNS: Column[] = ["When", "Annotator", "Code", "Severity", "Message", "Boxes", "Task / item"];

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
          <TableHead columns={["Annotator", "Annotations", "Findings", "Per annotation", ...codes.map((c) => ({ label: <code>{c}</code> }))]} />
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

/** A filter of the findings list: "any" or one of `options` ([value, text] pairs). */
function Filter({
  label,
  value,
  options,
  onChange,
  testId,
}: {
  label: string;
  value: string;
  options: [string, string][];
  onChange: (value: string) => void;
  testId: string;
}) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
        <option value="">any</option>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </label>
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
            <Filter label="Code" value={code} testId="findings-filter-code"
              options={KNOWN_FINDING_CODES.map((c) => [c, c])}
              onChange={(v) => {
                setCode(v);
                setPage(1);
              }} />
            <Filter label="Annotator" value={annotator} testId="findings-filter-annotator"
              options={annotators(members.data).map((m) => [String(m.user_id), m.username])}
              onChange={(v) => {
                setAnnotator(v);
                setPage(1);
              }} />
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
            <TableHead columns={FINDING_COLUMNS} />
            <tbody>
              {data?.results.map((f) => (
                <tr key={f.id} data-testid="finding-row" data-code={f.code} data-annotator={f.annotator}>
                  <td>{formatTime(f.created_at)}</td>
                  <td>{f.annotator}</td>
                  <td>
                    <code>{f.code}</code>
                  </td>
                  <td className={f.severity === "error" ? "error-text" : "warn-text"}>{f.severity}</td>
                  <td>{f.message}</td>
                  <td>{boxRefs(f.boxes)}</td>
                  <td>
                    <Link
                      href={`/projects/${projectId}/annotations/${f.annotation_id}`}
                      data-testid="finding-open"
                      title="See this answer drawn over its image, with its findings"
                    >
                      {f.task_id} / {f.item_id}
                    </Link>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {data && data.results.length === 0 && <p className="muted">No findings match.</p>}
          <PageNumberPager data={data ?? null} page={page} onPage={setPage} testIdPrefix="findings" always />
        </section>
      )}
    </ManagerPage>
  );
}
