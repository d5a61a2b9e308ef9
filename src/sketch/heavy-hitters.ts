// Space-Saving heavy hitters (Metwally, Agrawal, El Abbadi 2005): at most `capacity` counters over a stream
// of strings. A value already counted is incremented; a new one takes a free counter, or replaces the
// counter with the smallest count c and starts at c + 1 (error c). Every value whose true frequency exceeds
// n / capacity holds a counter, and each count overestimates the true one by at most its error ≤ n / capacity.
// Pure and deterministic: the evicted counter is the smallest count, ties by the smallest value, so the
// result depends only on the sequence of values (not on map order), and the entries are plain data.

export interface HeavyHitterEntry {
  value: string;
  /** estimated count (an upper bound on the true one) */
  count: number;
  /** overestimation bound: the count the replaced counter had */
  error: number;
}

export interface HeavyHitters {
  capacity: number;
  /** values seen */
  total: number;
  entries: HeavyHitterEntry[];
}

export function createHeavyHitters(capacity: number): HeavyHitters {
  return { capacity: Math.max(1, Math.floor(capacity)), total: 0, entries: [] };
}

export function addHeavyHitter(h: HeavyHitters, value: string): void {
  h.total++;
  const entries = h.entries;
  for (const e of entries) {
    if (e.value === value) {
      e.count++;
      return;
    }
  }
  if (entries.length < h.capacity) {
    entries.push({ value, count: 1, error: 0 });
    return;
  }
  let min = entries[0];
  for (const e of entries) if (e.count < min.count || (e.count === min.count && e.value < min.value)) min = e;
  min.error = min.count;
  min.count++;
  min.value = value;
}

/** The k values with the largest estimated counts (ties: the smallest value), largest first. */
export function topHeavyHitters(h: HeavyHitters, k: number): HeavyHitterEntry[] {
  return [...h.entries].sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0)).slice(0, Math.max(0, k));
}
