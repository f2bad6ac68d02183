// The dashboard's agreement card: Krippendorff's alpha with its interval and trend, per label and per annotator.
import { useState } from "react";
import { errorMessage, jobs, manager } from "../../api";
import type { AgreementOverview, AgreementReport, Member } from "../../api/types";
import { formatTime } from "../../manager/format";
import { useAsync } from "../../useAsync";
import { TableHead, type Column } from "../DataTable";
import { formatCoefficient, IntervalBar } from "../IntervalBar";
import { TrendPlot } from "../TrendPlot";

/** Alpha runs from -1 (systematic disagreement) through 0 (chance) to 1 (perfect agreement). */
const ALPHA_DOMAIN: [number, number] = [-1, 1];

const PER_LABEL_COLUMNS: Column[] = [
  "Label",
  "Alpha and interval",
  { label: "Specific", title: "Specific agreement: how often a use of the label is matched by a peer" },
];

/** `canRecompute`: managers only (agreement/compute/); others read the last report. */
export function AgreementCard({
  projectId,
  members,
  canRecompute,
}: {
  projectId: number;
  members: Member[];
  canRecompute: boolean;
}) {
  const overview = useAsync<AgreementOverview>(() => manager.agreement(projectId), [projectId]);
  const [computing, setComputing] = useState<string | null>(null);
  const o = overview.data;
  const recompute = async () => {
    setComputing("Computing…");
    try {
      const { job_id } = await manager.computeAgreement(projectId);
      const job = await jobs.wait(job_id);
      setComputing(job.status === "failed" ? `Failed: ${job.message}` : null);
      overview.reload();
    } catch (err) {
      setComputing(errorMessage(err));
    }
  };
  return (
    <section className="card" aria-labelledby="agreement-title" data-testid="dashboard-agreement">
      <div className="card-head">
        <h2 id="agreement-title">Agreement (Krippendorff's alpha)</h2>
        {canRecompute && (
          <button type="button" onClick={() => void recompute()} disabled={computing === "Computing…"}
            data-testid="agreement-compute">
            Recompute
          </button>
        )}
      </div>
      {computing && <p className="muted small" role="status">{computing}</p>}
      {overview.error && <p className="muted">Not available: {overview.error}</p>}
      {o && !o.report && (
        <p className="muted" data-testid="agreement-note">
          {o.note ?? "No agreement report yet."}
        </p>
      )}
      {o?.report && <AgreementReportView report={o.report} overview={o} members={members} />}
    </section>
  );
}

function AgreementReportView({
  report,
  overview,
  members,
}: {
  report: AgreementReport;
  overview: AgreementOverview;
  members: Member[];
}) {
  const names = new Map(members.map((m) => [m.user_id, m.username]));
  const alpha = report.alpha.value;
  const interval = report.interval;
  return (
    <>
      <p className="big-number" data-testid="agreement-alpha">
        {alpha === null ? "undefined" : alpha.toFixed(3)}
        {alpha !== null && interval?.low != null && interval.high != null && (
          <span className="muted small" data-testid="agreement-interval">
            95% interval {interval.low.toFixed(3)} to {interval.high.toFixed(3)}
          </span>
        )}
      </p>
      {alpha !== null && (
        <IntervalBar value={alpha} low={interval?.low} high={interval?.high} width={240} label="alpha"
          domain={ALPHA_DOMAIN} format={formatCoefficient} />
      )}
      {report.alpha.reason && <p className="muted">{report.alpha.reason}</p>}
      <p className="muted small">
        {report.n_items} item{report.n_items === 1 ? "" : "s"} labeled more than once
        {report.n_ignored_items > 0 && ` (${report.n_ignored_items} with one answer ignored)`}
        {report.kind === "bbox" && report.mean_iou !== null && ` · mean IoU of matched boxes ${report.mean_iou.toFixed(2)}`}
        {overview.computed_at && ` · computed ${formatTime(overview.computed_at)}`}
      </p>
      {overview.trend.length > 1 && (
        <p className="trend-line-row">
          <span className="muted small">Over time</span>{" "}
          <TrendPlot
            points={overview.trend.map((p) => ({
              t: Date.parse(p.computed_at) / 1000,
              value: p.alpha,
              low: p.alpha_low,
              high: p.alpha_high,
            }))}
            width={200}
            height={36}
            domain={ALPHA_DOMAIN}
            format={formatCoefficient}
            label="Alpha over time"
          />
        </p>
      )}
      <h3>Per label</h3>
      <table className="compact" data-testid="agreement-per-label">
        <TableHead columns={PER_LABEL_COLUMNS} />
        <tbody>
          {report.per_label.map((entry) => (
            <tr key={entry.label} data-testid="agreement-label-row" data-label={entry.label}>
              <th scope="row">{entry.label}</th>
              <td>
                {entry.alpha.value === null ? (
                  <span className="muted">{entry.alpha.reason ?? "—"}</span>
                ) : (
                  <IntervalBar value={entry.alpha.value} low={entry.interval?.low} high={entry.interval?.high}
                    label={`${entry.label} alpha`} domain={ALPHA_DOMAIN} format={formatCoefficient} />
                )}
              </td>
              <td className="num">{formatCoefficient(entry.specific_agreement)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {report.annotators.length > 0 && (
        <>
          <h3>Annotators with their peers</h3>
          <table className="compact" data-testid="agreement-annotators">
            <TableHead columns={["Annotator", "Alpha with peers", "Comparisons"]} />
            <tbody>
              {report.annotators.map((a) => (
                <tr key={a.annotator} data-testid="agreement-annotator-row" data-user-id={a.annotator}>
                  <th scope="row">{names.get(a.annotator) ?? `user ${a.annotator}`}</th>
                  <td title={a.alpha_with_peers.reason ?? undefined}>
                    {a.alpha_with_peers.value === null ? (
                      <span className="muted">{a.alpha_with_peers.reason ?? "—"}</span>
                    ) : (
                      formatCoefficient(a.alpha_with_peers.value)
                    )}
                  </td>
                  <td className="num">{a.n_comparisons}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}
