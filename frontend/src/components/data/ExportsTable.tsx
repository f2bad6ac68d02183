// The project's exports, newest first: counts, sha256, size and the download link of each.
import type { ExportRecord } from "../../api/types";
import { exportOptionsText, FORMAT_LABELS, shortSha } from "../../manager/exchange";
import { formatBytes } from "../../manager/format";
import { JobStatusBadge } from "../Badges";
import { DataTable, num, OpenRowButton, TimeCell, type Column, type RowsProps } from "../DataTable";

const COLUMNS: Column[] = [
  "Export",
  "Format",
  "Options",
  "Status",
  num("Items"),
  num("Annotations"),
  "sha256",
  num("Size"),
  "Created",
  "File",
];

export function ExportsTable({ rows: exports, selected, onOpen }: RowsProps<ExportRecord>) {
  return (
    <DataTable testId="exports-table" columns={COLUMNS}>
      {exports.map((e) => (
        <tr key={e.id} className={selected === e.id ? "selected" : undefined} data-testid="export-row"
          data-export-id={e.id} data-status={e.status} data-format={e.format}>
          <OpenRowButton id={e.id} open={selected === e.id} onOpen={onOpen} title="Show the manifest" testId="export-open" />
          <td>{FORMAT_LABELS[e.format] ?? e.format}</td>
          <td className="small">{exportOptionsText(e)}</td>
          <td>
            <JobStatusBadge status={e.status} testId="export-row-status" />
          </td>
          <td className="num" data-testid="export-items">{e.counts?.items ?? "—"}</td>
          <td className="num" data-testid="export-annotations">{e.counts?.annotations ?? "—"}</td>
          <td>
            {e.sha256 ? (
              <code title={e.sha256} data-testid="export-sha" data-sha256={e.sha256}>
                {shortSha(e.sha256)}
              </code>
            ) : (
              "—"
            )}
          </td>
          <td className="num" title={`${e.size_bytes} bytes`} data-testid="export-size">
            {e.status === "ready" ? formatBytes(e.size_bytes) : "—"}
          </td>
          <TimeCell at={e.created_at} />
          <td>
            {e.download_url ? (
              <a href={e.download_url} download data-testid="export-download">
                Download
              </a>
            ) : (
              <span className="muted small">{e.status === "failed" ? "failed" : "not ready"}</span>
            )}
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
