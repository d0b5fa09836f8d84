import { Fragment, type ReactNode } from 'react';
import { cx } from '../app/format.ts';

export interface Column<T> {
  /** Unique within the table. */
  key: string;
  header: ReactNode;
  cell(row: T): ReactNode;
  /** 'number' right-aligns; 'actions' keeps buttons together at the end. */
  kind?: 'text' | 'number' | 'actions';
}

/**
 * A data table with a caption (visually hidden unless `showCaption`), column headers, the first
 * column as row header, an empty state, and an optional detail row under each row.
 */
export function Table<T>({
  caption,
  showCaption = false,
  columns,
  rows,
  rowKey,
  empty = 'Nothing here yet.',
  detail,
  loading = false,
}: {
  caption: string;
  showCaption?: boolean;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey(row: T): string;
  empty?: ReactNode;
  detail?: (row: T) => ReactNode;
  loading?: boolean;
}) {
  return (
    <div className="table-wrap">
      <table className="table" aria-busy={loading}>
        <caption className={showCaption ? 'table-caption' : 'visually-hidden'}>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={cx(c.kind && `col-${c.kind}`)}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="table-empty">
                {loading ? 'Loading…' : empty}
              </td>
            </tr>
          ) : (
            rows.map((row) => {
              const extra = detail?.(row);
              const id = rowKey(row);
              return (
                <Fragment key={id}>
                  <tr>
                    {columns.map((c, i) =>
                      i === 0 ? (
                        <th key={c.key} scope="row" className={cx(c.kind && `col-${c.kind}`)}>
                          {c.cell(row)}
                        </th>
                      ) : (
                        <td key={c.key} className={cx(c.kind && `col-${c.kind}`)}>
                          {c.cell(row)}
                        </td>
                      ),
                    )}
                  </tr>
                  {extra ? (
                    <tr className="table-detail">
                      <td colSpan={columns.length}>{extra}</td>
                    </tr>
                  ) : null}
                </Fragment>
              );
            })
          )}
        </tbody>
      </table>
    </div>
  );
}

/** "Load more" under a paged table. */
export function LoadMore({
  hasMore,
  loading,
  onLoadMore,
}: {
  hasMore: boolean;
  loading: boolean;
  onLoadMore(): void;
}) {
  if (!hasMore) return null;
  return (
    <div className="load-more">
      <button type="button" className="button button-secondary" onClick={onLoadMore} disabled={loading}>
        {loading ? 'Loading…' : 'Load more'}
      </button>
    </div>
  );
}
