// The admin and dashboard tables: one header row of column names (an empty
// name is an actions column, named for screen readers only) over the rows.
import type { ReactNode } from 'react';

export function Table({ columns, label, children }: { columns: string[]; label?: string; children: ReactNode }) {
  return (
    <table className="table" aria-label={label}>
      <thead>
        <tr>
          {columns.map((name, i) => (
            <th key={i} scope="col">
              {name || <span className="visually-hidden">Actions</span>}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
