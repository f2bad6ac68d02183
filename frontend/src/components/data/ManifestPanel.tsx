// An export's manifest: its file and sha256, counts, agreement, gold set, priority model, annotators and benchmarks.
import type { ReactNode } from "react";
import { exchange } from "../../api";
import { isExportManifest, type ExportManifest } from "../../api/types";
import { shortSha } from "../../manager/exchange";
import { formatBytes, formatTime } from "../../manager/format";
import { useAsync } from "../../useAsync";
import { num, TableHead, type Column } from "../DataTable";
import { formatPct, IntervalBar } from "../IntervalBar";
import { PanelHead } from "../PanelHead";
import { Stat } from "../Stat";

export function ManifestPanel({ exportId, onClose }: { exportId: number; onClose: () => void }) {
  const detail = useAsync(() => exchange.export(exportId), [exportId]);
  const d = detail.data;
  return (
    <section className="manifest" aria-labelledby="manifest-title" data-testid="export-manifest" data-export-id={exportId}>
      <PanelHead titleId="manifest-title" title={`Export #${exportId}`} button="Close" onClick={onClose} buttonTestId="manifest-close" />
      {detail.error && (
        <p className="error" data-testid="manifest-error">
          {detail.error}
        </p>
      )}
      {d && !isExportManifest(d.manifest) && (
        <p className="muted" data-testid="manifest-pending">
          {d.status === "failed" ? `The export failed: ${d.message || "no reason given."}` : `The export is ${d.status}; its manifest is written when it is ready.`}
        </p>
      )}
      {d && isExportManifest(d.manifest) && <ManifestView manifest={d.manifest} />}
    </section>
  );
}

function ManifestView({ manifest: m }: { manifest: ExportManifest }) {
  return (
    <div className="manifest-body">
      <dl className="facts">
        <Fact name="File">
          <code data-testid="manifest-file">{m.content.file_name}</code> ({formatBytes(m.content.bytes)}, {m.content.media_type})
        </Fact>
        <Fact name="sha256">
          <code className="sha" data-testid="manifest-sha256">{m.content.sha256}</code>
        </Fact>
        <Fact name="Options">
          {m.options.include_raw ? "raw answers included" : "no raw answers"} ·{" "}
          {m.options.include_gold ? "gold items included" : "no gold items"}
        </Fact>
        <Fact name="Built">
          {formatTime(m.built_at)}
          {m.created_by && ` by ${m.created_by.username}`}
        </Fact>
      </dl>
      <ManifestCounts manifest={m} />
      <div className="manifest-grid">
        <div>
          <ManifestLineage manifest={m} />
        </div>
        <div>
          <ManifestAnnotators manifest={m} />
        </div>
        {m.benchmarks && (
          <div>
            <ManifestBenchmarks benchmarks={m.benchmarks} />
          </div>
        )}
      </div>
    </div>
  );
}

function Fact({ name, children }: { name: string; children: ReactNode }) {
  return (
    <div>
      <dt>{name}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function ManifestCounts({ manifest: m }: { manifest: ExportManifest }) {
  return (
    <>
      <h4>Counts</h4>
      <dl className="stats" data-testid="manifest-counts">
        <Stat small name="Items" value={m.counts.items} testId="manifest-items" />
        <Stat small name="Annotations" value={m.counts.annotations} testId="manifest-annotations" />
        <Stat small name="Raw answers" value={m.counts.raw_annotations} testId="manifest-raw" />
        {Object.entries(m.counts.by_status).map(([status, n]) => (
          <Stat small key={status} name={`Items: ${status}`} value={n ?? 0} testId={`manifest-status-${status}`} />
        ))}
        <Stat small name="Unresolved" value={m.counts.unresolved} testId="manifest-unresolved" />
        <Stat small name="Unlabeled" value={m.counts.unlabeled} testId="manifest-unlabeled" />
        <Stat small name="Awaiting more answers" value={m.counts.awaiting_overlap} testId="manifest-awaiting" />
      </dl>
      {Object.keys(m.counts.per_label).length > 0 && (
        <p className="small" data-testid="manifest-per-label">
          Per label:{" "}
          {Object.entries(m.counts.per_label)
            .map(([label, n]) => `${label} ${n}`)
            .join(" · ")}
        </p>
      )}
      {m.unresolved.length > 0 && (
        <p className="small">
          Unresolved items: {m.unresolved.join(", ")}
          {m.counts.unresolved > m.unresolved.length && ` and ${m.counts.unresolved - m.unresolved.length} more`}
        </p>
      )}
    </>
  );
}

/** What the export was judged by: the agreement report, the gold set and the priority model at the time. */
function ManifestLineage({ manifest: m }: { manifest: ExportManifest }) {
  return (
    <>
      <h4>Agreement</h4>
      <div data-testid="manifest-agreement">
        {m.agreement === null ? (
          <span className="muted">No agreement report when exported.</span>
        ) : m.agreement.alpha === null ? (
          <span className="muted">Alpha undefined over {m.agreement.n_items} items.</span>
        ) : (
          <>
            alpha <strong>{m.agreement.alpha.toFixed(3)}</strong>
            {m.agreement.low !== null && m.agreement.high !== null &&
              ` (95% interval ${m.agreement.low.toFixed(3)} to ${m.agreement.high.toFixed(3)})`}{" "}
            over {m.agreement.n_items} item{m.agreement.n_items === 1 ? "" : "s"}
            <span className="muted small"> · computed {formatTime(m.agreement.computed_at)}</span>
          </>
        )}
      </div>
      <h4>Gold set</h4>
      <p data-testid="manifest-gold">
        {m.gold_set.count} gold item{m.gold_set.count === 1 ? "" : "s"} · sha256{" "}
        <code title={m.gold_set.sha256}>{shortSha(m.gold_set.sha256)}</code>
      </p>
      <h4>Priority model</h4>
      <p data-testid="manifest-priority">
        {m.priority === null ? (
          <span className="muted">No priority run (import order).</span>
        ) : (
          <>
            {m.priority.model_version ? <>model <code>{m.priority.model_version}</code>, </> : "no model, "}
            strategy {m.priority.used_strategy}
            {m.priority.used_strategy !== m.priority.strategy && ` (asked for ${m.priority.strategy})`}
            {m.priority.activated_at && <span className="muted small"> · since {formatTime(m.priority.activated_at)}</span>}
          </>
        )}
      </p>
    </>
  );
}

/** A titled table of the manifest, or the `empty` note when it has no rows. */
function ManifestTable({
  title,
  count,
  empty,
  testId,
  columns,
  children,
}: {
  title: string;
  count: number;
  empty: string;
  testId: string;
  columns: Column[];
  children: ReactNode;
}) {
  return (
    <>
      <h4>{title}</h4>
      {count === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <table className="compact" data-testid={testId}>
          <TableHead columns={columns} />
          <tbody>{children}</tbody>
        </table>
      )}
    </>
  );
}

function ManifestAnnotators({ manifest: m }: { manifest: ExportManifest }) {
  return (
    <ManifestTable title="Annotators" count={m.annotators.length} empty="No annotator answers in this export."
      testId="manifest-annotators" columns={["Annotator", num("Items")]}>
      {m.annotators.map((a) => (
        <tr key={a.id} data-testid="manifest-annotator" data-user-id={a.id}>
          <th scope="row">{a.username ?? `user ${a.id}`}</th>
          <td className="num">{a.items}</td>
        </tr>
      ))}
    </ManifestTable>
  );
}

function ManifestBenchmarks({ benchmarks }: { benchmarks: NonNullable<ExportManifest["benchmarks"]> }) {
  return (
    <ManifestTable title="Benchmarks" count={benchmarks.length} empty="No benchmark figures."
      testId="manifest-benchmarks" columns={["Annotator", "Status", num("Fixed"), "Accuracy"]}>
      {benchmarks.map((b) => (
        <tr key={b.annotator_id} data-testid="manifest-benchmark" data-user-id={b.annotator_id}>
          <th scope="row">{b.username}</th>
          <td>
            <span className={`status-badge ${b.status}`}>{b.status}</span>
          </td>
          <td className="num">
            {b.correct}/{b.n}
          </td>
          <td>
            <IntervalBar value={b.accuracy} low={b.n ? b.low : null} high={b.n ? b.high : null}
              label={`${b.username} benchmark accuracy`} format={(v) => formatPct(v)} />
          </td>
        </tr>
      ))}
    </ManifestTable>
  );
}
