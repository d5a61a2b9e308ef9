// Merging sorted runs of (value, weight) items into one sorted run with equal values combined: the single
// merge under a flush (centroids + the sorted buffer) and under a digest merge (k digests' centroids).

export interface SortedRun {
  /** ascending, valid in [0, size) */
  means: Float64Array;
  weights: Float64Array;
  size: number;
}

/**
 * Writes the merge of `runs` into `outMeans`/`outWeights` (capacity ≥ the runs' total size) and returns the
 * number of items. Ties are taken from the earlier run first — the order of a stable sort over the
 * concatenation, so the result depends only on the runs' contents and order — and equal values are
 * combined into one item (a run of equal values is a point mass: combining loses nothing).
 */
export function mergeSortedRuns(runs: readonly SortedRun[], outMeans: Float64Array, outWeights: Float64Array): number {
  if (runs.length === 2) return mergeTwo(runs[0], runs[1], outMeans, outWeights);
  return mergeMany(runs, outMeans, outWeights);
}

/** The common case (a flush, sliding-window aggregates): a plain two-pointer merge. */
function mergeTwo(a: SortedRun, b: SortedRun, outMeans: Float64Array, outWeights: Float64Array): number {
  const an = a.size;
  const bn = b.size;
  const am = a.means;
  const aw = a.weights;
  const bm = b.means;
  const bw = b.weights;
  let i = 0;
  let j = 0;
  let m = -1;
  while (i < an || j < bn) {
    let mean: number;
    let weight: number;
    if (j >= bn || (i < an && am[i] <= bm[j])) {
      mean = am[i];
      weight = aw[i++];
    } else {
      mean = bm[j];
      weight = bw[j++];
    }
    if (m >= 0 && outMeans[m] === mean) outWeights[m] += weight;
    else {
      m++;
      outMeans[m] = mean;
      outWeights[m] = weight;
    }
  }
  return m + 1;
}

/** k-way merge through a binary heap of run indices ordered by (current mean, run index). */
function mergeMany(all: readonly SortedRun[], outMeans: Float64Array, outWeights: Float64Array): number {
  const runs = all.filter((r) => r.size > 0);
  const heap = new Int32Array(runs.length);
  const cursor = new Int32Array(runs.length);
  /** each run's current mean (the heap's keys) */
  const heads = new Float64Array(runs.length);
  let heapSize = runs.length;
  for (let i = 0; i < heapSize; i++) {
    heap[i] = i;
    heads[i] = runs[i].means[0];
  }
  for (let i = (heapSize >> 1) - 1; i >= 0; i--) siftDown(heap, heads, i, heapSize);
  let m = -1;
  while (heapSize > 0) {
    const src = heap[0];
    const run = runs[src];
    const at = cursor[src];
    const mean = run.means[at];
    const weight = run.weights[at];
    if (m >= 0 && outMeans[m] === mean) outWeights[m] += weight;
    else {
      m++;
      outMeans[m] = mean;
      outWeights[m] = weight;
    }
    if (at + 1 >= run.size) heap[0] = heap[--heapSize];
    else {
      cursor[src] = at + 1;
      heads[src] = run.means[at + 1];
    }
    siftDown(heap, heads, 0, heapSize);
  }
  return m + 1;
}

/** Whether run a's current item comes before run b's: smaller mean, ties to the earlier run. */
function before(heads: Float64Array, a: number, b: number): boolean {
  const ma = heads[a];
  const mb = heads[b];
  return ma < mb || (ma === mb && a < b);
}

function siftDown(heap: Int32Array, heads: Float64Array, start: number, size: number): void {
  let i = start;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) return;
    const r = l + 1;
    const c = r < size && before(heads, heap[r], heap[l]) ? r : l;
    if (!before(heads, heap[c], heap[i])) return;
    const t = heap[i];
    heap[i] = heap[c];
    heap[c] = t;
    i = c;
  }
}
