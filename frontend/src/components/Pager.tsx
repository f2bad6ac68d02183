// Previous/next buttons under a list, for the server's two kinds of pages (`?page=N` and `?limit=&offset=`) and
// for a list the client holds whole and shows a page at a time.
import type { ReactNode } from "react";
import type { Page } from "../api/types";

/** The server's page size for `?page=N` lists (annotation_qc/core/pagination.py PagePagination). */
export const SERVER_PAGE_SIZE = 50;

/** Two buttons around where the list is (`<prefix>-prev`, `<prefix>-next`); a null handler disables its button. */
export function Pager({
  testIdPrefix,
  position,
  onPrevious,
  onNext,
  newestFirst = false,
}: {
  testIdPrefix: string;
  position: ReactNode;
  onPrevious: (() => void) | null;
  onNext: (() => void) | null;
  /** Lists ordered newest first say "Newer" and "Older" rather than "Previous" and "Next". */
  newestFirst?: boolean;
}) {
  return (
    <div className="pager">
      <button type="button" disabled={!onPrevious} onClick={onPrevious ?? undefined} data-testid={`${testIdPrefix}-prev`}>
        {newestFirst ? "Newer" : "Previous"}
      </button>
      <span className="muted small">{position}</span>
      <button type="button" disabled={!onNext} onClick={onNext ?? undefined} data-testid={`${testIdPrefix}-next`}>
        {newestFirst ? "Older" : "Next"}
      </button>
    </div>
  );
}

/** "Page 2 of 3" for a `?page=N` list; shown only when there is more than one page, unless `always`. */
export function PageNumberPager({
  data,
  page,
  onPage,
  testIdPrefix,
  newestFirst,
  always = false,
}: {
  data: Page<unknown> | null;
  page: number;
  onPage: (page: number) => void;
  testIdPrefix: string;
  newestFirst?: boolean;
  always?: boolean;
}) {
  if (!always && !(data && (data.next || data.previous))) return null;
  const pages = data && data.count > 0 ? ` of ${Math.ceil(data.count / SERVER_PAGE_SIZE)}` : "";
  return (
    <Pager testIdPrefix={testIdPrefix} position={`Page ${page}${pages}`} newestFirst={newestFirst}
      onPrevious={data?.previous && page > 1 ? () => onPage(page - 1) : null}
      onNext={data?.next ? () => onPage(page + 1) : null} />
  );
}

/** "26–50 of 60" for a `?limit=&offset=` list, newest first; shown once there is more than one page. */
export function OffsetPager({
  data,
  offset,
  limit,
  onOffset,
  testIdPrefix,
}: {
  data: Page<unknown> | null;
  offset: number;
  limit: number;
  onOffset: (offset: number) => void;
  testIdPrefix: string;
}) {
  if (!data || (offset === 0 && !data.next)) return null;
  return (
    <Pager testIdPrefix={testIdPrefix} position={`${offset + 1}–${Math.min(offset + limit, data.count)} of ${data.count}`}
      newestFirst onPrevious={offset === 0 ? null : () => onOffset(Math.max(0, offset - limit))}
      onNext={data.next ? () => onOffset(offset + limit) : null} />
  );
}

/** One page of a list the client holds whole: its rows, the page clamped into range and how many pages there are. */
export function pageOf<T>(rows: readonly T[], page: number, size: number): { rows: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const current = Math.min(Math.max(1, page), pages);
  return { rows: rows.slice((current - 1) * size, current * size), page: current, pages };
}

/** "21–40 of 57 · page 2 of 3" under a list the client holds whole; shown once there is more than one page. */
export function ClientPager({
  total,
  page,
  size,
  onPage,
  testIdPrefix,
}: {
  total: number;
  /** The 1-based page shown (as `pageOf` clamped it). */
  page: number;
  size: number;
  onPage: (page: number) => void;
  testIdPrefix: string;
}) {
  const pages = Math.ceil(total / size);
  if (pages <= 1) return null;
  const first = (page - 1) * size + 1;
  return (
    <Pager testIdPrefix={testIdPrefix} position={`${first}–${Math.min(page * size, total)} of ${total} · page ${page} of ${pages}`}
      onPrevious={page > 1 ? () => onPage(page - 1) : null} onNext={page < pages ? () => onPage(page + 1) : null} />
  );
}
