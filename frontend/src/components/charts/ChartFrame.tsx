// The frame of every chart: a titled <figure>, the chart, and the same figures as a table (for screen readers,
// keyboard users and anyone who would rather read numbers), plus links to the data as JSON and CSV when the
// API serves it.
import { useId, useState, type ReactNode } from "react";
import { formatNumber } from "./palette";

export interface ChartColumn<Row> {
  key: string;
  header: string;
  value: (row: Row) => unknown;
}

export function ChartFrame<Row>({
  title,
  description,
  testId,
  rows,
  columns,
  dataUrl,
  empty = "No data yet.",
  children,
}: {
  title: string;
  description?: string;
  testId: string;
  rows: Row[];
  columns: ChartColumn<Row>[];
  /** The API URL of the chart's data; `?format=csv` is added for the CSV link. */
  dataUrl?: string;
  empty?: string;
  children: ReactNode;
}) {
  const [showTable, setShowTable] = useState(false);
  const tableId = useId();
  const csvUrl = dataUrl ? `${dataUrl}${dataUrl.includes("?") ? "&" : "?"}format=csv` : undefined;
  return (
    <figure className="chart" data-testid={testId} data-rows={rows.length}>
      <figcaption className="chart-head">
        <span className="chart-title">{title}</span>
        {description && <span className="muted chart-description">{description}</span>}
        <span className="chart-actions">
          {rows.length > 0 && (
            <button
              type="button"
              className="link"
              aria-expanded={showTable}
              aria-controls={tableId}
              title="Show the figures behind the chart as a table"
              data-testid={`${testId}-table-toggle`}
              onClick={() => setShowTable((v) => !v)}
            >
              {showTable ? "Hide table" : "Table"}
            </button>
          )}
          {dataUrl && (
            <>
              <a href={dataUrl} title="The chart's data as JSON" data-testid={`${testId}-json`}>
                JSON
              </a>
              <a href={csvUrl} title="The chart's data as CSV" data-testid={`${testId}-csv`}>
                CSV
              </a>
            </>
          )}
        </span>
      </figcaption>
      {rows.length === 0 ? (
        <p className="muted" data-testid={`${testId}-empty`}>
          {empty}
        </p>
      ) : (
        <div className="chart-body">
          {children}
        </div>
      )}
      {rows.length > 0 && (
        <table id={tableId} className="chart-table" hidden={!showTable} data-testid={`${testId}-table`}>
          <caption className="sr-only">{title}</caption>
          <thead>
            <tr>
              {columns.map((c) => (
                <th key={c.key} scope="col">
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row, i) => (
              <tr key={i}>
                {columns.map((c) => {
                  const v = c.value(row);
                  return <td key={c.key}>{typeof v === "number" ? formatNumber(v) : String(v ?? "—")}</td>;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}
