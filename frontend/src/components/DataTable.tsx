// The manager screens' tables: the header row, the compact scrolling table, and cells several tables share.
import type { ReactNode } from "react";
import { formatTime } from "../manager/format";

/** A column heading: its text, or the text with a class (`num` right-aligns) and a tooltip. */
export type Column = string | { label: ReactNode; className?: string; title?: string };

/** A right-aligned (numeric) column. */
export const num = (label: string): Column => ({ label, className: "num" });

/** The unlabeled column of a row's buttons (named for screen readers). */
export const ACTIONS: Column = { label: <span className="sr-only">Actions</span> };

export function TableHead({ columns }: { columns: Column[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) =>
          typeof c === "string" ? (
            <th key={i} scope="col">
              {c}
            </th>
          ) : (
            <th key={i} scope="col" className={c.className} title={c.title}>
              {c.label}
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}

/** A compact list table in a scrolling wrapper; the rows are the children. */
export function DataTable({ testId, columns, children }: { testId: string; columns: Column[]; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="compact data-table" data-testid={testId}>
        <TableHead columns={columns} />
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/**
 * A loaded list's rows, or what stands in for them: the load's error, the `empty` note (`emptyTestId`) when there
 * are no rows, nothing while loading.
 */
export function ListOrEmpty<T>({
  rows,
  error = null,
  empty,
  emptyTestId,
  children,
}: {
  rows: T[] | null;
  error?: string | null;
  empty: ReactNode;
  emptyTestId: string;
  children: (rows: T[]) => ReactNode;
}) {
  return (
    <>
      {error && <p className="error">{error}</p>}
      {rows && rows.length === 0 && (
        <p className="muted" data-testid={emptyTestId}>
          {empty}
        </p>
      )}
      {rows && rows.length > 0 && children(rows)}
    </>
  );
}

/** A table of records whose details open below it: the rows, the open one, and what opens one. */
export interface RowsProps<T> {
  rows: T[];
  selected: number | null;
  onOpen: (id: number) => void;
}

/** The row heading that opens the row's details below the table ("#12"), and closes them again. */
export function OpenRowButton({
  id,
  open,
  onOpen,
  title,
  testId,
}: {
  id: number;
  open: boolean;
  onOpen: (id: number) => void;
  title: string;
  testId: string;
}) {
  return (
    <th scope="row">
      <button type="button" className="link" onClick={() => onOpen(id)} aria-expanded={open} data-testid={testId} title={title}>
        #{id}
      </button>
    </th>
  );
}

/** A timestamp in local time with the exact ISO value as its tooltip; `otherwise` when there is none. */
export function TimeCell({ at, otherwise = "—" }: { at: string | null; otherwise?: ReactNode }) {
  return (
    <td className="small" title={at ?? undefined}>
      {at ? formatTime(at) : otherwise}
    </td>
  );
}

/** A row's on/off checkbox (a rule's `enabled`, a webhook's `active`) with the state in words. */
export function OnOffToggle({
  on,
  disabled,
  onToggle,
  label,
  testId,
}: {
  on: boolean;
  disabled: boolean;
  onToggle: () => void;
  label: string;
  testId: string;
}) {
  return (
    <label className="inline">
      <input type="checkbox" checked={on} disabled={disabled} onChange={onToggle} data-testid={testId} aria-label={label} />
      {on ? "on" : "off"}
    </label>
  );
}
