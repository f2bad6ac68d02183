// The project's imports, newest first: what was uploaded, as what, and what came of it.
import type { ImportRecord } from "../../api/types";
import { FORMAT_LABELS, importResult } from "../../manager/exchange";
import { formatBytes } from "../../manager/format";
import { JobStatusBadge } from "../Badges";
import { DataTable, num, OpenRowButton, TimeCell, type Column, type RowsProps } from "../DataTable";

const COLUMNS: Column[] = ["Import", "Format", "As", "Files", num("Size"), "Status", "Result", "Created"];

/** "a.json, b.zip" for two files or fewer, "a.json and 4 more" beyond. */
function filesText(files: ImportRecord["files"]): string {
  if (files.length === 0) return "—";
  return files.length <= 2 ? files.map((f) => f.name).join(", ") : `${files[0].name} and ${files.length - 1} more`;
}

export function ImportsTable({ rows: imports, selected, onOpen }: RowsProps<ImportRecord>) {
  return (
    <DataTable testId="imports-table" columns={COLUMNS}>
      {imports.map((i) => (
        <tr key={i.id} className={selected === i.id ? "selected" : undefined} data-testid="import-row"
          data-import-id={i.id} data-status={i.status}>
          <OpenRowButton id={i.id} open={selected === i.id} onOpen={onOpen} title="Show the report" testId="import-open" />
          <td>{FORMAT_LABELS[i.format] ?? i.format}</td>
          <td>
            {i.as}
            {i.model_version && <span className="muted small"> ({i.model_version})</span>}
          </td>
          <td className="small">{filesText(i.files)}</td>
          <td className="num" title={`${i.size_bytes} bytes`}>{formatBytes(i.size_bytes)}</td>
          <td>
            <JobStatusBadge status={i.status} testId="import-row-status" />
          </td>
          <td className="small" data-testid="import-result">{importResult(i)}</td>
          <TimeCell at={i.created_at} />
        </tr>
      ))}
    </DataTable>
  );
}
