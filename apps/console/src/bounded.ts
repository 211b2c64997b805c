// Bounded lists: what the console keeps in memory (live-tail rows, lag history) never grows
// past a fixed count; the oldest entries go first.

/** `items` followed by `more`, cut to the last `max`. */
export function appendBounded<T>(items: readonly T[], more: readonly T[], max: number): T[] {
  const all = more.length === 0 ? [...items] : [...items, ...more];
  return all.length > max ? all.slice(all.length - max) : all;
}
