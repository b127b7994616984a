/** Left-aligns the first column (and any in `leftColumns`) and right-aligns the rest, two spaces apart. */
export function alignColumns(rows: string[][], leftColumns: readonly number[] = []): string[] {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)))
  return rows.map((row) =>
    row
      .map((cell, index) => (index === 0 || leftColumns.includes(index) ? cell.padEnd(widths[index]!) : cell.padStart(widths[index]!)))
      .join('  ')
      .trimEnd(),
  )
}

export function formatNumber(value: number, decimals = 1): string {
  return value.toLocaleString('en-US', {minimumFractionDigits: decimals, maximumFractionDigits: decimals})
}
