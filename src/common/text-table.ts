/**
 * Aligns a table for the terminal: columns two spaces apart, text columns left-aligned
 * and number columns right-aligned. Column 0 is always left-aligned; `leftColumns` names
 * the other text columns ('all' for a table of text).
 */
export function alignColumns(rows: readonly (readonly string[])[], leftColumns: readonly number[] | 'all' = []): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)))
  const isLeft = (index: number) => index === 0 || leftColumns === 'all' || leftColumns.includes(index)
  return rows.map((row) =>
    row
      .map((cell, index) => (isLeft(index) ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!)))
      .join('  ')
      .trimEnd(),
  )
}
