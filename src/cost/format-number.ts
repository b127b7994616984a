export function formatNumber(value: number, decimals = 1): string {
  return value.toLocaleString('en-US', {minimumFractionDigits: decimals, maximumFractionDigits: decimals})
}
