// The console's tables: a caption, a header of column labels, and a row per item. A column says
// once whether it holds figures (right-aligned, header and cells alike) and how to show its
// cell; the first column may name its row (a row header, read out with each cell).
import type { ComponentChildren } from 'preact';

export interface Column<T> {
  label: string;
  /** Figures: right-aligned, in digits of one width. */
  numeric?: boolean;
  /** Classes of the column's cells besides `num` (time, value, id, actions). */
  class?: string;
  cell: (row: T) => ComponentChildren;
}

export function DataTable<T>(props: {
  caption: string;
  /** For screen readers only, where the page's heading already says what the table is. */
  captionHidden?: boolean;
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  /** The first column names its row. */
  rowHeader?: boolean;
  class?: string;
}) {
  const { columns, rowHeader = false } = props;
  return (
    <table class={props.class}>
      <caption class={props.captionHidden === true ? 'visually-hidden' : undefined}>
        {props.caption}
      </caption>
      <thead>
        <tr>
          {columns.map((column) => (
            <th key={column.label} scope="col" class={column.numeric === true ? 'num' : undefined}>
              {column.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr key={props.rowKey(row)}>
            {columns.map((column, index) => {
              const names = [column.numeric === true ? 'num' : '', column.class ?? ''];
              const cellClass = names.filter((name) => name !== '').join(' ') || undefined;
              return index === 0 && rowHeader ? (
                <th key={column.label} scope="row" class={cellClass}>
                  {column.cell(row)}
                </th>
              ) : (
                <td key={column.label} class={cellClass}>
                  {column.cell(row)}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
