/**
 * Shortens an array kept for reuse to `length` items (default: empties it). Assigning
 * `length` makes V8 give back the storage of an array left less than half full, so
 * refilling it allocates again; popping keeps the storage (no garbage).
 */
export function truncateArray(items: unknown[], length = 0): void {
  while (items.length > length) items.pop()
}
